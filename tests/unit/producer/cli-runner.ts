/**
 * Spawns the producer CLI (TypeScript through tsx) and collects its output: shared by the unit
 * tests of the CLI's error paths, the e2e tests and the benchmark.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { join } from "node:path";

/** Path of the CLI's entry point. */
export const producerCli = join(__dirname, "..", "..", "..", "producer", "src", "cli.ts");

/** What a CLI run printed and how it ended. */
export interface CliRun {
  /** Exit status (null when killed by a signal). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every stdout line that parsed as JSON. */
  readonly lines: readonly Record<string, unknown>[];
  /** The `summary` line, if printed. */
  readonly summary: Record<string, unknown> | undefined;
}

/** Options of {@link runCli}. */
export interface CliRunOptions {
  /** Called with each JSON line as it arrives (e.g. to send SIGTERM mid-run). */
  readonly onLine?: (line: Record<string, unknown>, child: ChildProcess) => void;
  /**
   * Kills the CLI (SIGKILL) after this many milliseconds.
   * @default 300000
   */
  readonly timeoutMs?: number;
}

/** Runs the CLI with `args` and extra environment (PRODUCER_* variables of this process are dropped). */
export function runCli(
  args: readonly string[],
  environment: Record<string, string>,
  options: CliRunOptions = {},
): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("PRODUCER_")),
  );
  const child = spawn(process.execPath, ["--import", "tsx", producerCli, ...args], {
    env: { ...inherited, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let pending = "";
  const lines: Record<string, unknown>[] = [];
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        options.onLine?.(line, child);
      } catch {
        // not a JSON line
      }
    }
  });
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, lines, summary: lines.find((line) => line.event === "summary") });
    });
  });
}
