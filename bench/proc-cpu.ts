/**
 * Where the CPU goes during a bench:e2e phase, from Linux's /proc: CPU seconds per process kind
 * (Cassandra, Kafka, the Spark JVM, its Python workers) and the machine's busy, idle and steal time
 * (steal: time the hypervisor gave this VM's vCPUs to someone else, a noisy neighbour). The bound
 * phase measures the same kinds inside its Spark driver (spark/bench/stack_bound.py).
 */
import { readFileSync, readdirSync } from "node:fs";

/** Command-line marker -> process kind (the first that matches). */
const processKinds: readonly (readonly [string, string])[] = [
  ["CassandraDaemon", "cassandra"],
  ["kafka.Kafka", "kafka"],
  ["pyspark.daemon", "python_workers"],
  ["pyspark.worker", "python_workers"],
  ["SparkSubmit", "spark_jvm"],
];

/**
 * HotSpot's JIT compiler threads by their Linux thread name (/proc/<pid>/task/<tid>/comm, cut to
 * 15 characters): "C2 CompilerThre", "C1 CompilerThre". Their CPU time shows whether a JVM was
 * still compiling its hot code during a measured window: a young JVM spends a large share of a
 * core there, so a window measured too early prices the warm-up rather than the steady state.
 */
const jitCompilerThread = /^C[12] CompilerThre/;

/** The kind of a process from its command line, else `other`. */
export function processKind(commandLine: string): string {
  return processKinds.find(([marker]) => commandLine.includes(marker))?.[1] ?? "other";
}

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux architecture Node runs on. */
const ticksPerSecond = 100;

/** One reading of /proc. */
export interface CpuSnapshot {
  /** Monotonic milliseconds. */
  readonly at: number;
  /** CPU seconds (user + system, reaped children included) by process kind. */
  readonly byKind: Readonly<Record<string, number>>;
  /** Of those, the seconds of the JVMs' JIT compiler threads, by process kind (JVM kinds only). */
  readonly jitByKind: Readonly<Record<string, number>>;
  /** Machine-wide seconds from /proc/stat, summed over CPUs. */
  readonly machine: { readonly busy: number; readonly idle: number; readonly steal: number };
}

/** Fields 14-17 of /proc/<pid>/stat (utime stime cutime cstime) after the `(comm)` field. */
export function processTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index] ?? 0), 0);
}

/** Busy, idle (idle + iowait) and steal seconds from /proc/stat's `cpu` line. */
export function machineSeconds(procStat: string): CpuSnapshot["machine"] {
  const line = procStat.split("\n").find((entry) => entry.startsWith("cpu "));
  if (!line) throw new Error("no cpu line in /proc/stat");
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const seconds = (ticks: number) => ticks / ticksPerSecond;
  return {
    busy: seconds(user! + nice! + system! + irq! + softirq!),
    idle: seconds(idle! + iowait!),
    steal: seconds(steal!),
  };
}

/** The process kinds that are JVMs (HotSpot: named JIT compiler threads). */
const jvmKinds = new Set(["cassandra", "kafka", "spark_jvm"]);

/** CPU seconds of one process's JIT compiler threads (jitCompilerThread), from /proc/<pid>/task. */
export function jitSeconds(processDirectory: string): number {
  let ticks = 0;
  let threads: string[];
  try {
    threads = readdirSync(`${processDirectory}/task`);
  } catch {
    return 0;
  }
  for (const tid of threads) {
    try {
      if (!jitCompilerThread.test(readFileSync(`${processDirectory}/task/${tid}/comm`, "utf8"))) continue;
      ticks += processTicks(readFileSync(`${processDirectory}/task/${tid}/stat`, "utf8"));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks / ticksPerSecond;
}

/**
 * Reads /proc now; undefined off Linux. `jit: false` skips the JVMs' threads (hundreds of files
 * for Cassandra) where only the per-process figures are needed, as in cassandraQuiet's polling.
 */
export function cpuSnapshot(proc = "/proc", { jit = true } = {}): CpuSnapshot | undefined {
  let procStat: string;
  try {
    procStat = readFileSync(`${proc}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const byKind: Record<string, number> = {};
  const jitByKind: Record<string, number> = {};
  for (const pid of readdirSync(proc)) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ticks = processTicks(readFileSync(`${proc}/${pid}/stat`, "utf8"));
      const kind = processKind(readFileSync(`${proc}/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
      byKind[kind] = (byKind[kind] ?? 0) + ticks / ticksPerSecond;
      if (jit && jvmKinds.has(kind)) jitByKind[kind] = (jitByKind[kind] ?? 0) + jitSeconds(`${proc}/${pid}`);
    } catch {
      // the process ended meanwhile
    }
  }
  return { at: performance.now(), byKind, jitByKind, machine: machineSeconds(procStat) };
}

/** What a phase spent between two snapshots, per row written. */
export interface CpuUse {
  readonly cpu_ms_per_row: Readonly<Record<string, number>>;
  /** The part of cpu_ms_per_row that the JVMs' JIT compiler threads spent, by kind. */
  readonly jit_cpu_ms_per_row: Readonly<Record<string, number>>;
  readonly cpu_ms_per_row_total: number;
  /** Share of the machine's CPU time (all cores, wall time of the window) that was busy / stolen. */
  readonly machine_busy_percent: number;
  readonly machine_steal_percent: number;
}

export function cpuUse(before: CpuSnapshot, after: CpuSnapshot, rows: number): CpuUse {
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  /** Seconds spent by kind between the snapshots (kinds that spent any), in kind order. */
  const spentByKind = (of: (snapshot: CpuSnapshot) => Readonly<Record<string, number>>) =>
    Object.entries(of(after))
      .map(([kind, seconds]) => [kind, seconds - (of(before)[kind] ?? 0)] as const)
      .filter(([, spent]) => spent > 0)
      .sort(([a], [b]) => a.localeCompare(b));
  const perRow = (spent: readonly (readonly [string, number])[]) =>
    Object.fromEntries(spent.map(([kind, seconds]) => [kind, round((1000 * seconds) / rows, 4)]));
  const spent = spentByKind((snapshot) => snapshot.byKind);
  const total = spent.reduce((sum, [, seconds]) => sum + seconds, 0);
  const machine = (key: keyof CpuSnapshot["machine"]) => after.machine[key] - before.machine[key];
  const all = machine("busy") + machine("idle") + machine("steal");
  return {
    cpu_ms_per_row: perRow(spent),
    jit_cpu_ms_per_row: perRow(spentByKind((snapshot) => snapshot.jitByKind)),
    cpu_ms_per_row_total: round((1000 * total) / rows, 4),
    machine_busy_percent: all > 0 ? round((100 * machine("busy")) / all, 1) : 0,
    machine_steal_percent: all > 0 ? round((100 * machine("steal")) / all, 1) : 0,
  };
}

/**
 * Waits (up to `maxSeconds`) until Cassandra has used less than `busyFraction` of a core for three
 * one-second samples in a row: the memtable flushes and compactions that one phase's writes leave
 * behind would otherwise run during (and be billed to) the next phase. Returns the seconds waited.
 */
export async function cassandraQuiet(maxSeconds = 90, busyFraction = 0.1): Promise<number> {
  const started = Date.now();
  const first = cpuSnapshot("/proc", { jit: false })?.byKind.cassandra;
  if (first === undefined) return 0;
  let previous: number = first;
  let quietSamples = 0;
  while (quietSamples < 3 && Date.now() - started < maxSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now: number = cpuSnapshot("/proc", { jit: false })?.byKind.cassandra ?? previous;
    quietSamples = now - previous < busyFraction ? quietSamples + 1 : 0;
    previous = now;
  }
  return Math.round((Date.now() - started) / 1000);
}
