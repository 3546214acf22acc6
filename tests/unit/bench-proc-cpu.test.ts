import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { cpuSnapshot, cpuUse, machineSeconds, processKind, processTicks } from "../../bench/proc-cpu";

test("process kinds from command lines", (t) => {
  t.is(processKind("java -Xss256k org.apache.cassandra.service.CassandraDaemon"), "cassandra");
  t.is(processKind("java -cp libs/* kafka.Kafka server.properties"), "kafka");
  t.is(processKind("python3 -m pyspark.daemon"), "python_workers");
  t.is(processKind("java org.apache.spark.deploy.SparkSubmit --master local[2] main.py"), "spark_jvm");
  t.is(processKind("node bench/e2e.ts"), "other");
});

test("process ticks: utime + stime + cutime + cstime, whatever the command name holds", (t) => {
  t.is(processTicks("42 (odd) name) S 1 1 1 0 -1 0 5 0 0 0 100 20 3 4 20 0 1 0"), 127);
});

test("machine seconds from /proc/stat's cpu line (ticks of 1/100 s)", (t) => {
  t.deepEqual(machineSeconds("cpu  1000 100 300 5000 200 10 20 70 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"), {
    busy: 14.3,
    idle: 52,
    steal: 0.7,
  });
  t.throws(() => machineSeconds("intr 1 2 3"), { message: /no cpu line/ });
});

test("a snapshot of a /proc tree, and the use between two of them, per row", (t) => {
  const proc = mkdtempSync(join(tmpdir(), "proc-"));
  t.teardown(() => rmSync(proc, { recursive: true, force: true }));
  const processStat = (pid: number, command: string, utime: number) => {
    mkdirSync(join(proc, String(pid)));
    writeFileSync(
      join(proc, String(pid), "stat"),
      `${pid} (java) S 1 1 1 0 -1 0 5 0 0 0 ${utime} 0 0 0 20 0`,
    );
    writeFileSync(join(proc, String(pid), "cmdline"), command.replaceAll(" ", "\0"));
  };
  writeFileSync(join(proc, "stat"), "cpu  100 0 0 100 0 0 0 0 0 0\n");
  processStat(7, "java org.apache.cassandra.service.CassandraDaemon", 50);
  processStat(8, "java kafka.Kafka x", 10);
  // Threads of the Cassandra JVM: a C2 and a C1 compiler thread, and one that is not a compiler.
  const threadStat = (pid: number, tid: number, comm: string, utime: number) => {
    mkdirSync(join(proc, String(pid), "task", String(tid)), { recursive: true });
    writeFileSync(join(proc, String(pid), "task", String(tid), "comm"), `${comm}\n`);
    writeFileSync(
      join(proc, String(pid), "task", String(tid), "stat"),
      `${tid} (${comm}) S 1 1 1 0 -1 0 5 0 0 0 ${utime} 0 0 0 20 0`,
    );
  };
  threadStat(7, 70, "C2 CompilerThre", 20);
  threadStat(7, 71, "C1 CompilerThre", 5);
  threadStat(7, 72, "MutationStage-1", 25);
  const before = cpuSnapshot(proc)!;
  t.deepEqual(before.byKind, { cassandra: 0.5, kafka: 0.1 });
  t.deepEqual(before.jitByKind, { cassandra: 0.25, kafka: 0 });
  writeFileSync(join(proc, "stat"), "cpu  250 0 50 150 0 0 0 50 0 0\n");
  processStat(9, "python3 -m pyspark.worker", 100);
  writeFileSync(join(proc, "7", "stat"), "7 (java) S 1 1 1 0 -1 0 5 0 0 0 150 50 0 0 20 0");
  threadStat(7, 70, "C2 CompilerThre", 60);
  const after = cpuSnapshot(proc)!;
  t.deepEqual(cpuUse(before, after, 1_000), {
    cpu_ms_per_row: { cassandra: 1.5, python_workers: 1 },
    jit_cpu_ms_per_row: { cassandra: 0.4 },
    cpu_ms_per_row_total: 2.5,
    machine_busy_percent: 66.7,
    machine_steal_percent: 16.7,
  });
  t.is(cpuSnapshot(join(proc, "missing")), undefined);
});
