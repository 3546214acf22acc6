import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { harnessStateRoot } from "./paths";
import { isAlive, stopFromPidFile } from "./process";

/** Run id of the CLI's detached services (`$DATA_PIPELINE_HARNESS_RUN`, default `cli`). */
export const cliRun = process.env.DATA_PIPELINE_HARNESS_RUN || "cli";

/** Contents of `<run>/owner.json`. */
export interface RunOwner {
  /** Node process that started the run. */
  readonly pid: number;
  /** Start time of that process (clock ticks since boot), so a reused pid is not taken for the owner. */
  readonly pidStartTime?: string;
  /** Detached runs (the CLI's) outlive their owner and are only stopped by `down`. */
  readonly detached: boolean;
  readonly startedAt: string;
}

/** `<repo>/.cache/harness/<run>`. */
export function runDirectory(run: string): string {
  return join(harnessStateRoot(), run);
}

/** `<repo>/.cache/harness/logs/<run>`. */
export function runLogDirectory(run: string): string {
  return join(harnessStateRoot(), "logs", run);
}

/** Owner record of a run, if any. */
export function readOwner(run: string): RunOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(runDirectory(run), "owner.json"), "utf8")) as RunOwner;
  } catch {
    return undefined;
  }
}

/** Creates the run directory and records its owner (after cleaning up stale runs). */
export async function openRun(run: string, detached: boolean): Promise<void> {
  await cleanupStaleRuns();
  await stopRun(run);
  mkdirSync(runDirectory(run), { recursive: true });
  mkdirSync(runLogDirectory(run), { recursive: true });
  const owner: RunOwner = {
    pid: process.pid,
    pidStartTime: processStartTime(process.pid),
    detached,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(join(runDirectory(run), "owner.json"), JSON.stringify(owner));
}

/**
 * Stops every process recorded in the run's pid files (only those still carrying the run's state
 * marker) and removes the run directory with all data directories. Returns the pids it stopped.
 */
export async function stopRun(run: string, graceMs = 15_000): Promise<number[]> {
  const directory = runDirectory(run);
  if (!existsSync(directory)) return [];
  const stopped: number[] = [];
  for (const pidPath of findPidFiles(directory).reverse()) {
    const pid = await stopFromPidFile(pidPath, dirname(pidPath), graceMs);
    if (pid !== undefined) stopped.push(pid);
  }
  rmSync(directory, { recursive: true, force: true });
  return stopped;
}

/**
 * Cleans up after runs killed half-way: a non-detached run whose owner process is gone has its
 * processes stopped and its directory removed. Log directories older than a day are pruned.
 * Returns the runs cleaned.
 */
export async function cleanupStaleRuns(): Promise<string[]> {
  const root = harnessStateRoot();
  if (!existsSync(root)) return [];
  const cleaned: string[] = [];
  for (const run of readdirSync(root)) {
    if (run === "logs" || !statSync(join(root, run)).isDirectory()) continue;
    const owner = readOwner(run);
    if (owner?.detached) continue;
    if (owner && isAlive(owner.pid) && processStartTime(owner.pid) === owner.pidStartTime) continue;
    await stopRun(run, 5_000);
    cleaned.push(run);
  }
  const logsRoot = join(root, "logs");
  if (existsSync(logsRoot)) {
    for (const run of readdirSync(logsRoot)) {
      const path = join(logsRoot, run);
      if (Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
    }
  }
  return cleaned;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), if readable. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Pid files in the run directory, in start order (service dirs sorted by creation). */
export function findPidFiles(directory: string): string[] {
  const found: { path: string; time: number }[] = [];
  const walk = (current: string, depth: number): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory() && depth < 2 && entry.name !== "data") walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith(".pid"))
        found.push({ path, time: statSync(path).mtimeMs });
    }
  };
  if (existsSync(directory)) walk(directory, 0);
  return found.sort((left, right) => left.time - right.time).map((entry) => entry.path);
}
