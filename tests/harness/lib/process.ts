import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HarnessError } from "./errors";
import type { JavaRuntime } from "./java";
import { assertPortFree } from "./ports";

/** Environment variable every harness child carries; its value is the child's state directory. */
export const stateMarkerVariable = "DATA_PIPELINE_HARNESS_STATE";

/** Answers true once the service really serves (metadata request, HTTP 200, CQL handshake...). */
export type ReadinessCheck = () => Promise<boolean>;

/** Options of {@link startProcess}. */
export interface ProcessOptions {
  /** Service name used in messages, e.g. `kafka`. */
  readonly service: string;
  /**
   * Process name inside the service; names the pid file `<stateDir>/<name>.pid` and the log.
   * @default the service name
   */
  readonly name?: string;
  /** The service's state directory (`context.stateDir`): the pid file goes here. */
  readonly stateDir: string;
  /**
   * Directory of the log file `<name>.log` (`context.logDir`).
   * @default stateDir
   */
  readonly logDir?: string;
  /** Executable to run. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /**
   * Extra environment (merged over the parent's).
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Working directory.
   * @default stateDir
   */
  readonly cwd?: string;
  /**
   * Loopback ports the process will bind; each is checked free first ("port taken").
   * @default []
   */
  readonly ports?: readonly number[];
  /** Polled until it answers true. */
  readonly readiness: ReadinessCheck;
  /**
   * How long to wait for readiness.
   * @default 120000
   */
  readonly readinessTimeoutMs?: number;
}

/** Options of {@link startJavaProcess}: a JVM instead of a command. */
export interface JavaProcessOptions extends Omit<ProcessOptions, "command" | "args"> {
  /** Runtime from `findJava`. */
  readonly java: JavaRuntime;
  /** Jars (or directories) for `-cp`; may be empty with `jar`. */
  readonly classpath: readonly string[];
  /** Main class to run; give this or `jar`. */
  readonly mainClass?: string;
  /** Runnable jar (`java -jar`), e.g. Quarkus' quarkus-run.jar. */
  readonly jar?: string;
  /**
   * JVM flags such as `-Xmx512m`.
   * @default []
   */
  readonly jvmArgs?: readonly string[];
  /**
   * Program arguments.
   * @default []
   */
  readonly args?: readonly string[];
}

/** A started, ready process. */
export interface ManagedProcess {
  readonly service: string;
  readonly name: string;
  readonly pid: number;
  /** File receiving the process' stdout and stderr. */
  readonly logPath: string;
  /** SIGTERM to its process group, SIGKILL after `graceMs` (default 15 s); removes the pid file. */
  stop(graceMs?: number): Promise<void>;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;
let keepAfterExit = false;

/**
 * By default, every process still running when Node exits is SIGKILLed (no orphans from a crashed
 * test). The CLI's `up` calls this to leave its services running detached; their pid files let
 * `down` (or the next run) stop them.
 */
export function keepProcessesAfterExit(): void {
  keepAfterExit = true;
}

/**
 * Starts a process in its own process group, output to `<stateDir>/<name>.log`, pid in
 * `<stateDir>/<name>.pid`, then polls `readiness`. On timeout or early exit the process is killed
 * and a one-line {@link HarnessError} names the service, the cause and the log.
 */
export async function startProcess(options: ProcessOptions): Promise<ManagedProcess> {
  const name = options.name ?? options.service;
  mkdirSync(options.stateDir, { recursive: true });
  const logPath = join(options.logDir ?? options.stateDir, `${name}.log`);
  const pidPath = join(options.stateDir, `${name}.pid`);
  for (const port of options.ports ?? []) await assertPortFree(options.service, port, logPath);
  const logFd = openSync(logPath, "w");
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd ?? options.stateDir,
    env: { ...process.env, ...options.env, [stateMarkerVariable]: options.stateDir },
    stdio: ["ignore", logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  let exitDescription: string | undefined;
  let spawnError: string | undefined;
  child.on("exit", (code, signal) => {
    exitDescription = signal ? `signal ${signal}` : `code ${code}`;
    if (child.pid !== undefined) liveGroups.delete(child.pid);
  });
  child.on("error", (error: NodeJS.ErrnoException) => {
    spawnError = error.code === "ENOENT" ? `${options.command} not found` : error.message;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    await sleep(50);
    throw new HarnessError(options.service, `could not start: ${spawnError ?? "spawn failed"}`, logPath);
  }
  writeFileSync(pidPath, JSON.stringify({ pid, service: options.service, name, logPath }));
  liveGroups.add(pid);
  installExitHook();
  const managed: ManagedProcess = {
    service: options.service,
    name,
    pid,
    logPath,
    stop: async (graceMs = 15_000) => {
      await killGroup(pid, graceMs);
      liveGroups.delete(pid);
      rmSync(pidPath, { force: true });
    },
  };
  const timeoutMs = options.readinessTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitDescription !== undefined || spawnError !== undefined) {
      await managed.stop(0);
      const cause = spawnError ?? `exited with ${exitDescription} before it was ready`;
      throw new HarnessError(options.service, `${cause}${lastLogLine(logPath)}`, logPath);
    }
    if (await answers(options.readiness)) return managed;
    if (Date.now() > deadline) {
      await managed.stop(2_000);
      throw new HarnessError(
        options.service,
        `not ready within ${Math.round(timeoutMs / 1000)}s${lastLogLine(logPath)}`,
        logPath,
      );
    }
    await sleep(500);
  }
}

/** Starts a JVM through {@link startProcess}: `java <jvmArgs> -cp <classpath> <mainClass> <args>` or `-jar`. */
export function startJavaProcess(options: JavaProcessOptions): Promise<ManagedProcess> {
  const target = options.jar ? ["-jar", options.jar] : options.mainClass ? [options.mainClass] : undefined;
  if (!target) throw new HarnessError(options.service, "startJavaProcess needs a mainClass or a jar");
  const classpath = options.classpath.length > 0 ? ["-cp", options.classpath.join(":")] : [];
  return startProcess({
    ...options,
    command: options.java.executable,
    args: [...(options.jvmArgs ?? []), ...classpath, ...target, ...(options.args ?? [])],
  });
}

/** Options of {@link runToCompletion}. */
export interface CommandOptions {
  /** Service name used in messages. */
  readonly service: string;
  /** Names the log file `<logDir>/<name>.log`. */
  readonly name: string;
  /** Directory of the log file. */
  readonly logDir: string;
  readonly command: string;
  readonly args: readonly string[];
  /** @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** @default the log directory */
  readonly cwd?: string;
  /** @default 600000 */
  readonly timeoutMs?: number;
}

/**
 * Runs a one-shot command (e.g. `kafka-storage format`, `pip install`) to completion, output to
 * `<logDir>/<name>.log`; a non-zero exit or timeout throws a one-line {@link HarnessError}.
 */
export function runToCompletion(options: CommandOptions): Promise<void> {
  mkdirSync(options.logDir, { recursive: true });
  const logPath = join(options.logDir, `${options.name}.log`);
  const logFd = openSync(logPath, "w");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd ?? options.logDir,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", logFd, logFd],
      timeout: options.timeoutMs ?? 600_000,
      killSignal: "SIGKILL",
    });
    closeSync(logFd);
    child.on("error", (error: NodeJS.ErrnoException) => {
      const cause = error.code === "ENOENT" ? `${options.command} not found` : error.message;
      reject(new HarnessError(options.service, `${options.name} failed: ${cause}`, logPath));
    });
    child.on("exit", (code, signal) => {
      if (code === 0) resolvePromise();
      else {
        const how = signal ? `signal ${signal} (timeout?)` : `code ${code}`;
        reject(
          new HarnessError(
            options.service,
            `${options.name} exited with ${how}${lastLogLine(logPath)}`,
            logPath,
          ),
        );
      }
    });
  });
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** True when `pid` is a harness child started for `stateDirectory` (guards against reused pids). */
export function belongsTo(pid: number, stateDirectory: string): boolean {
  try {
    const environment = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    return environment.includes(`${stateMarkerVariable}=${stateDirectory}`);
  } catch {
    return false;
  }
}

/**
 * Stops the process recorded in a pid file written by {@link startProcess}, if it still runs and
 * carries the state marker of `stateDirectory`; removes the pid file. Returns the pid it stopped.
 */
export async function stopFromPidFile(
  pidPath: string,
  stateDirectory: string,
  graceMs = 15_000,
): Promise<number | undefined> {
  if (!existsSync(pidPath)) return undefined;
  let pid: number | undefined;
  try {
    pid = (JSON.parse(readFileSync(pidPath, "utf8")) as { pid?: number }).pid;
  } catch {
    pid = undefined;
  }
  rmSync(pidPath, { force: true });
  if (pid === undefined || !isAlive(pid) || !belongsTo(pid, stateDirectory)) return undefined;
  await killGroup(pid, graceMs);
  return pid;
}

/** SIGTERM the process group of `pid`, SIGKILL it after `graceMs`, wait until it is gone. */
export async function killGroup(pid: number, graceMs: number): Promise<void> {
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid) || groupAlive(pid)) signalGroup(pid, "SIGKILL");
  const hardDeadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < hardDeadline) await sleep(50);
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function answers(check: ReadinessCheck): Promise<boolean> {
  try {
    return await check();
  } catch {
    return false;
  }
}

function lastLogLine(logPath: string): string {
  try {
    const lines = readFileSync(logPath, "utf8")
      .split("\n")
      .map((line) => line.trim());
    const last = lines.filter((line) => line.length > 0 && !line.startsWith("at ")).pop();
    return last ? `; last log line: ${last.slice(0, 240)}` : "";
  } catch {
    return "";
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    if (keepAfterExit) return;
    for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
    liveGroups.clear();
  };
  process.on("exit", killAll);
  // Services run in their own process groups, so a Ctrl-C does not reach them: forward it, then
  // let the signal take its default course.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Promise that resolves after `milliseconds`. */
export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, milliseconds));
}
