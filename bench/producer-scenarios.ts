/**
 * The scenarios of bench/producer.ts: each runs once against the harness broker and returns a
 * {@link Measurement}.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { clientSecurityProperties } from "../components/kafka-security";
import type { EncodedBatch } from "../producer/src/batch-encoder";
import { InlineBatchSource } from "../producer/src/batch-source";
import type { RecordFormat } from "../producer/src/encoding";
import { JsonLineProgress } from "../producer/src/progress";
import type { RunSummary } from "../producer/src/run";
import { batchRecordsFor, runProducer } from "../producer/src/run";
import type { KafkaCredentials } from "../tests/harness";
import { kafkaRuntime, writeProperties } from "../tests/harness/services/kafka-common";
import { runCli } from "../tests/unit/producer/cli-runner";

const execFileAsync = promisify(execFile);

/** One run of one scenario. */
export interface Measurement {
  readonly records: number;
  readonly seconds: number;
  readonly records_per_second: number;
  readonly megabytes_per_second: number;
  readonly average_record_bytes: number;
  /** CPU seconds of the producer process (all threads); not known for ProducerPerformance. */
  readonly cpu_seconds?: number;
  /** Records per CPU-second of the producer process: a figure that survives a busy machine. */
  readonly records_per_cpu_second?: number;
}

/** Where and how much a scenario produces. */
export interface Target {
  readonly bootstrap: string;
  /** The producer principal's SASL/SCRAM login (the harness broker requires one). */
  readonly login: KafkaCredentials;
  readonly topic: string;
  readonly records: number;
  readonly registryUrl?: string;
}

function measurement(summary: RunSummary): Measurement {
  return {
    records: summary.sent,
    seconds: summary.seconds,
    records_per_second: summary.records_per_second,
    megabytes_per_second: summary.megabytes_per_second,
    average_record_bytes: Math.round(summary.bytes / Math.max(summary.sent, 1)),
    cpu_seconds: summary.cpu_seconds,
    records_per_cpu_second: Math.round(summary.sent / Math.max(summary.cpu_seconds, 1e-3)),
  };
}

/** The producer CLI as users run it: generation in its worker thread, at --rate 0. */
export async function cliScenario(target: Target, format: RecordFormat): Promise<Measurement> {
  const args = ["--brokers", target.bootstrap, "--topic", target.topic, "--count", String(target.records)];
  args.push("--format", format, "--seed", "7");
  if (target.registryUrl !== undefined) args.push("--schema-registry", target.registryUrl);
  const run = await runCli(args, {
    PRODUCER_SASL_USERNAME: target.login.username,
    PRODUCER_SASL_PASSWORD: target.login.password,
  });
  if (run.status !== 0 || run.summary === undefined) throw new Error(`producer CLI failed: ${run.stderr}`);
  return measurement(run.summary as unknown as RunSummary);
}

/** Batches generated once, before any timing, and replayed by {@link publishScenario}. */
export async function pregenerate(
  format: RecordFormat,
  records: number,
  partitions: number,
  schemaId: number | undefined,
): Promise<EncodedBatch[]> {
  const encoder = {
    seed: 1,
    format,
    partitionCount: partitions,
    ...(schemaId === undefined ? {} : { schemaId }),
  };
  const source = new InlineBatchSource({
    encoder,
    count: records,
    batchRecords: batchRecordsFor(0),
    batchBytes: Math.min(partitions, 12) * 700 * 1024,
  });
  const batches: EncodedBatch[] = [];
  for (let batch = await source.next(); batch !== undefined; batch = await source.next()) batches.push(batch);
  return batches;
}

/** The publish path alone: the same runProducer as the CLI, fed pre-generated batches. */
export async function publishScenario(
  target: Target,
  format: RecordFormat,
  batches: readonly EncodedBatch[],
): Promise<Measurement> {
  let index = 0;
  const summary = await runProducer(
    {
      brokers: [target.bootstrap],
      topic: target.topic,
      count: target.records,
      rate: 0,
      duration: 0,
      seed: 1,
      format,
      schemaRegistry: target.registryUrl,
      compression: "none",
      clientId: "bench-producer",
      connectRetries: 5,
      sasl: { mechanism: "scram-sha-512", username: target.login.username, password: target.login.password },
    },
    {
      progress: new JsonLineProgress(process.stderr, 3_600),
      createSource: () => ({ next: async () => batches[index++], close: async () => undefined }),
    },
  );
  return measurement(summary);
}

/** Kafka's own ProducerPerformance (kafka-tools from the harness classpath), acks=all, idempotent. */
export async function producerPerformanceScenario(target: Target, recordSize: number): Promise<Measurement> {
  const { classpath, java } = await kafkaRuntime("bench");
  // The login goes in a file: --producer-props splits each value at "=", which a JAAS config holds.
  const config = join(mkdtempSync(join(tmpdir(), "bench-producer-")), "producer.properties");
  writeProperties(config, clientSecurityProperties(target.login.username, target.login.password));
  const { stdout } = await execFileAsync(
    java.executable,
    [
      "-Xmx512m",
      "-Dlog4j.configuration=file:/dev/null",
      "-cp",
      classpath.join(":"),
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic",
      target.topic,
      "--num-records",
      String(target.records),
      "--record-size",
      String(recordSize),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${target.bootstrap}`,
      "acks=all",
      "enable.idempotence=true",
      "--producer.config",
      config,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const last = stdout.trim().split("\n").at(-1) ?? "";
  const match = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(last);
  if (!match) throw new Error(`Unable to read ProducerPerformance's result from: ${last}`);
  const sent = Number(match[1]);
  const perSecond = Number(match[2]);
  return {
    records: sent,
    seconds: Math.round((sent / perSecond) * 1000) / 1000,
    records_per_second: Math.round(perSecond),
    megabytes_per_second: Math.round(((perSecond * recordSize) / 1e6) * 1000) / 1000,
    average_record_bytes: recordSize,
  };
}
