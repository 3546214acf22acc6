import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { userAvroSchema } from "../../contracts/users";
import type { BatchSource } from "./batch-source";
import { WorkerBatchSource } from "./batch-source";
import type { ProducerOptions } from "./options";
import type { ProgressReporter } from "./progress";
import { round } from "./progress";
import { ProducerError, Publisher } from "./publisher";
import { randomSeed } from "./random";

/** The end-of-run figures. */
export interface RunSummary {
  /** Records acknowledged by all in-sync replicas. */
  readonly sent: number;
  /** Records whose send failed for good. */
  readonly failed: number;
  /** Seconds from the first send to the last acknowledgement. */
  readonly seconds: number;
  /** sent / seconds. */
  readonly records_per_second: number;
  /** Key and value bytes acknowledged. */
  readonly bytes: number;
  /** bytes / seconds / 10^6. */
  readonly megabytes_per_second: number;
  /** Why the run stopped early: "signal", "duration", or undefined. */
  readonly stopped_by?: string;
  /** Seed used (pass it as --seed to make the same records again). */
  readonly seed: number;
  /** CPU seconds used by the whole process (all threads) during the run. */
  readonly cpu_seconds: number;
  /** Peak resident memory of the process, in MB (flat in --count: generation is bounded by backpressure). */
  readonly max_rss_megabytes: number;
}

/** Hooks and knobs of {@link runProducer} beyond the CLI options. */
export interface RunContext {
  /** Progress sink. */
  readonly progress: ProgressReporter;
  /** Aborting stops generation; the batch in flight is still acknowledged before the run returns. */
  readonly signal?: AbortSignal;
  /** Log sink for kafkajs errors and notable events. */
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Replaces the worker-thread source (tests, benchmark). */
  readonly createSource?: (settings: SourceSettings) => BatchSource;
}

/** What a batch source is asked to make. */
export interface SourceSettings {
  readonly seed: number;
  readonly count: number;
  readonly format: ProducerOptions["format"];
  readonly schemaId: number | undefined;
  readonly batchRecords: number;
  readonly batchBytes: number;
  /** Partitions of the topic (for computing each record's partition while generating). */
  readonly partitionCount: number;
}

/** Kafka's default per-partition batch limit is 1 MiB (message.max.bytes); stay well under it. */
const bytesPerPartition = 700 * 1024;
/**
 * Records per send at full speed. kafkajs groups a send's messages by partition with a quadratic
 * array copy, and an idempotent producer has one request in flight per broker anyway, so a few
 * thousand records per send is the sweet spot (the byte bound above usually binds first).
 */
const maximumBatchRecords = 2_000;

/** Records per send: large at full speed, about 20 sends a second when rate-limited. */
export function batchRecordsFor(rate: number): number {
  return rate === 0 ? maximumBatchRecords : Math.max(1, Math.min(maximumBatchRecords, Math.round(rate / 20)));
}

async function registerSchema(url: string, topic: string): Promise<number> {
  try {
    const registry = new SchemaRegistry({ host: url, retry: { retries: 3 } });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(userAvroSchema()) },
      { subject: `${topic}-value` },
    );
    return id;
  } catch (error) {
    throw new ProducerError(
      `Unable to register the users schema at ${url}: ${error instanceof Error ? error.message : String(error)}. ` +
        "Check --schema-registry.",
    );
  }
}

const sleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Runs the producer: connects (bounded retries), registers the schema for Avro, then sends
 * batches from the generator worker one request at a time, at `rate`, until `count`, `duration`
 * or the abort signal. Throws {@link ProducerError} for start-up failures; a send that fails after
 * its retries ends the run with `failed > 0` and the error rethrown with the summary attached.
 */
export async function runProducer(options: ProducerOptions, context: RunContext): Promise<RunSummary> {
  const seed = options.seed ?? randomSeed();
  const publisher = new Publisher({
    brokers: options.brokers,
    topic: options.topic,
    clientId: options.clientId,
    compression: options.compression,
    connectRetries: options.connectRetries,
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
    ...(context.log === undefined ? {} : { log: context.log }),
  });
  const partitions = await publisher.connect();
  let source: BatchSource | undefined;
  let sent = 0;
  let failed = 0;
  let bytes = 0;
  let stoppedBy: string | undefined;
  let failure: ProducerError | undefined;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const durationTimer =
    options.duration > 0
      ? setTimeout(() => {
          stoppedBy ??= "duration";
        }, options.duration * 1000)
      : undefined;
  try {
    const schemaId =
      options.format === "avro" ? await registerSchema(options.schemaRegistry!, options.topic) : undefined;
    const settings: SourceSettings = {
      seed,
      count: options.count,
      format: options.format,
      schemaId,
      batchRecords: batchRecordsFor(options.rate),
      batchBytes: Math.min(partitions, 12) * bytesPerPartition,
      partitionCount: partitions,
    };
    source =
      context.createSource?.(settings) ??
      new WorkerBatchSource({
        encoder: {
          seed,
          format: settings.format,
          ...(schemaId === undefined ? {} : { schemaId }),
          partitionCount: partitions,
          ...(options.seed === undefined ? {} : { eventTime: "sequence" as const }),
        },
        count: settings.count,
        batchRecords: settings.batchRecords,
        batchBytes: settings.batchBytes,
      });
    const runStart = performance.now();
    const aborted = (): boolean => context.signal?.aborted === true;
    while (stoppedBy === undefined) {
      if (aborted()) {
        stoppedBy = "signal";
        break;
      }
      if (options.rate > 0) {
        const due = runStart + (sent / options.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (aborted() || stoppedBy !== undefined) {
          stoppedBy ??= "signal";
          break;
        }
      }
      const batch = await source.next();
      if (batch === undefined) break;
      try {
        await publisher.send(batch);
      } catch (error) {
        failed += batch.records;
        failure = error instanceof ProducerError ? error : new ProducerError(String(error));
        break;
      }
      sent += batch.records;
      bytes += batch.bytes.byteLength;
      context.progress.update({ sent, failed, bytes, seconds: elapsed(), total: options.count });
    }
  } finally {
    if (durationTimer !== undefined) clearTimeout(durationTimer);
    await source?.close();
    await publisher.disconnect().catch(() => undefined);
    context.progress.stop();
  }
  const seconds = elapsed();
  const cpu = process.cpuUsage(cpuAtStart);
  const summary: RunSummary = {
    sent,
    failed,
    seconds: round(seconds),
    records_per_second: Math.round(sent / Math.max(seconds, 1e-3)),
    bytes,
    megabytes_per_second: round(bytes / Math.max(seconds, 1e-3) / 1e6),
    ...(stoppedBy === undefined ? {} : { stopped_by: stoppedBy }),
    seed,
    cpu_seconds: round((cpu.user + cpu.system) / 1e6),
    max_rss_megabytes: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (failure !== undefined) throw Object.assign(failure, { summary });
  return summary;
}
