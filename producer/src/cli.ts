#!/usr/bin/env node
/**
 * The `producer` command: parses flags and PRODUCER_* variables, runs the producer, prints the
 * summary. Exit 0 when done or stopped by SIGINT/SIGTERM (after flushing), 1 on a runtime
 * failure (one clear line on stderr), 2 on bad usage, 3 when Kafka refused the login or an ACL.
 */
import type { ProducerOptions } from "./options";
import { parseOptions, usage, UsageError } from "./options";
import type { ProgressReporter } from "./progress";
import { BarProgress, JsonLineProgress, writeJsonLine } from "./progress";
import { KafkaRefusedError, ProducerError } from "./publisher";
import type { RunSummary } from "./run";
import { runProducer } from "./run";

/** Exit statuses of the CLI. */
export const exitStatus = { done: 0, failure: 1, usage: 2, refused: 3 } as const;

/** The exit status of a run that failed with `error`: 3 when Kafka refused the producer, else 1. */
export function failureStatus(error: ProducerError): number {
  return error instanceof KafkaRefusedError ? exitStatus.refused : exitStatus.failure;
}

function printSummary(summary: RunSummary, terminal: boolean): void {
  if (terminal) {
    process.stdout.write(
      `sent ${summary.sent}, failed ${summary.failed} in ${summary.seconds} s: ` +
        `${summary.records_per_second} records/s, ${summary.megabytes_per_second} MB/s` +
        `${summary.stopped_by === undefined ? "" : ` (stopped by ${summary.stopped_by})`}; seed ${summary.seed}\n`,
    );
  } else {
    writeJsonLine(process.stdout, "summary", { ...summary });
  }
}

/** Runs the CLI with the given arguments and environment; resolves the exit status. */
export async function main(argv: readonly string[], environment: NodeJS.ProcessEnv): Promise<number> {
  let options: ProducerOptions | "help";
  try {
    options = parseOptions(argv, environment);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`producer: ${error.message}\n\n${usage}\n`);
    return exitStatus.usage;
  }
  if (options === "help") {
    process.stdout.write(`${usage}\n`);
    return exitStatus.done;
  }
  const terminal = process.stderr.isTTY === true && process.stdout.isTTY === true;
  const progress: ProgressReporter = terminal ? new BarProgress() : new JsonLineProgress(process.stdout);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`producer: ${signal} again, exiting without flushing.\n`);
      process.exit(130);
    }
    if (!terminal) writeJsonLine(process.stdout, "stopping", { signal });
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (!terminal) {
    writeJsonLine(process.stdout, "start", {
      brokers: options.brokers,
      topic: options.topic,
      count: options.count,
      rate: options.rate,
      duration: options.duration,
      format: options.format,
      compression: options.compression,
      sasl_username: options.sasl?.username ?? null,
    });
  }
  const log = terminal
    ? undefined
    : (entry: Record<string, unknown>): void => writeJsonLine(process.stdout, "log", entry);
  try {
    const summary = await runProducer(options, {
      progress,
      signal: controller.signal,
      ...(log ? { log } : {}),
    });
    printSummary(summary, terminal);
    return exitStatus.done;
  } catch (error) {
    if (!(error instanceof ProducerError)) throw error;
    const summary = (error as ProducerError & { summary?: RunSummary }).summary;
    if (summary !== undefined) printSummary(summary, terminal);
    process.stderr.write(`producer: ${error.message}\n`);
    return failureStatus(error);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(
        `producer: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = exitStatus.failure;
    },
  );
}
