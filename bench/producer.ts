/**
 * `npm run bench:producer`: throughput of the producer on the harness broker, against Kafka's own
 * ProducerPerformance in the same run. Writes bench/results/producer.json and prints a summary.
 *
 * Scenarios (every one at full speed, acks = all, idempotent, same topic layout):
 * - json / avro, generation included: the `producer` CLI as a child process, as users run it;
 * - json / avro, publish path alone: records generated beforehand, then only sent;
 * - ProducerPerformance (org.apache.kafka.tools, kafka-tools 3.9.1), same record count and size.
 *
 * Environment: BENCH_PRODUCER_RECORDS (default 300000), BENCH_PRODUCER_PARTITIONS (default 3).
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { userAvroSchema } from "../contracts/users";
import type { EncodedBatch } from "../producer/src/batch-encoder";
import type { BatchSource } from "../producer/src/batch-source";
import { InlineBatchSource } from "../producer/src/batch-source";
import type { ProducerOptions } from "../producer/src/options";
import { JsonLineProgress } from "../producer/src/progress";
import type { RunSummary } from "../producer/src/run";
import { batchRecordsFor, runProducer } from "../producer/src/run";
import { startServices } from "../tests/harness";
import { kafkaRuntime } from "../tests/harness/services/kafka-common";
import { producerCli, runCli } from "../tests/unit/producer/cli-runner";

const execFileAsync = promisify(execFile);
const records = Number(process.env.BENCH_PRODUCER_RECORDS ?? 300_000);
const partitions = Number(process.env.BENCH_PRODUCER_PARTITIONS ?? 3);
const resultsPath = join(__dirname, "results", "producer.json");

/** One measured scenario. */
interface Measurement {
  readonly scenario: string;
  readonly records: number;
  readonly seconds: number;
  readonly records_per_second: number;
  readonly megabytes_per_second: number;
  readonly average_record_bytes: number;
  /** CPU seconds of the producer process (all threads); a figure that survives a busy machine. */
  readonly cpu_seconds?: number;
  readonly records_per_cpu_second?: number;
}

function measurement(scenario: string, summary: RunSummary): Measurement {
  return {
    scenario,
    records: summary.sent,
    seconds: summary.seconds,
    records_per_second: summary.records_per_second,
    megabytes_per_second: summary.megabytes_per_second,
    average_record_bytes: Math.round(summary.bytes / Math.max(summary.sent, 1)),
    cpu_seconds: summary.cpu_seconds,
    records_per_cpu_second: Math.round(summary.sent / Math.max(summary.cpu_seconds, 1e-3)),
  };
}

/** Pre-generates every batch, then serves them from memory: the publish path alone. */
async function pregenerated(
  options: ConstructorParameters<typeof InlineBatchSource>[0],
): Promise<BatchSource> {
  const source = new InlineBatchSource(options);
  const batches: EncodedBatch[] = [];
  for (let batch = await source.next(); batch !== undefined; batch = await source.next()) batches.push(batch);
  let index = 0;
  return { next: async () => batches[index++], close: async () => undefined };
}

async function publishOnly(
  scenario: string,
  options: ProducerOptions,
  schemaId: number | undefined,
): Promise<Measurement> {
  const batchRecords = batchRecordsFor(0);
  const source = await pregenerated({
    encoder: {
      seed: 1,
      format: options.format,
      partitionCount: partitions,
      ...(schemaId === undefined ? {} : { schemaId }),
    },
    count: options.count,
    batchRecords,
    batchBytes: Math.min(partitions, 12) * 700 * 1024,
  });
  const summary = await runProducer(options, {
    progress: new JsonLineProgress(process.stderr, 5),
    createSource: () => source,
  });
  return measurement(scenario, summary);
}

/** Runs ProducerPerformance and parses its final line. */
async function producerPerformance(
  bootstrap: string,
  topic: string,
  recordSize: number,
): Promise<Measurement & { raw: string }> {
  const { classpath, java } = await kafkaRuntime("bench");
  const { stdout } = await execFileAsync(
    java.executable,
    [
      "-Xmx512m",
      "-Dlog4j.configuration=file:/dev/null",
      "-cp",
      classpath.join(":"),
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic",
      topic,
      "--num-records",
      String(records),
      "--record-size",
      String(recordSize),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${bootstrap}`,
      "acks=all",
      "enable.idempotence=true",
      "max.in.flight.requests.per.connection=5",
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const last = stdout.trim().split("\n").at(-1) ?? "";
  const match = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(last);
  if (!match) throw new Error(`Unable to read ProducerPerformance's result from: ${last}`);
  const sent = Number(match[1]);
  const perSecond = Number(match[2]);
  return {
    scenario: "kafka ProducerPerformance (acks=all, idempotent)",
    records: sent,
    seconds: Math.round((sent / perSecond) * 1000) / 1000,
    records_per_second: Math.round(perSecond),
    megabytes_per_second: Math.round(((perSecond * recordSize) / 1e6) * 1000) / 1000,
    average_record_bytes: recordSize,
    raw: last,
  };
}

async function main(): Promise<void> {
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
  process.stderr.write(`bench:producer: ${records} records per scenario, ${partitions} partitions\n`);
  let registryProblem: string | undefined;
  const harness = await startServices({
    services: ["kafka", "registry"],
    run: `bench-producer-${process.pid}`,
  }).catch(async (error: unknown) => {
    registryProblem = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `bench:producer: Avro scenarios skipped, the registry did not start: ${registryProblem}\n`,
    );
    return startServices({ services: ["kafka"], run: `bench-producer-kafka-${process.pid}` });
  });
  const registryUrl = "registry" in harness ? (harness.registry as { url: string }).url : undefined;
  try {
    const bootstrap = harness.kafka.bootstrap;
    const topic = async (name: string): Promise<string> => {
      const unique = harness.uniqueName(name);
      await harness.createTopic(unique, partitions);
      return unique;
    };
    const base = {
      brokers: [bootstrap],
      count: records,
      rate: 0,
      duration: 0,
      seed: 7,
      schemaRegistry: registryUrl,
      compression: "none" as const,
      clientId: "bench-producer",
      connectRetries: 5,
    };
    const results: Measurement[] = [];
    const cli = async (scenario: string, format: "json" | "avro"): Promise<Measurement> => {
      const args = [
        "--brokers",
        bootstrap,
        "--topic",
        await topic(`bench-${format}`),
        "--count",
        String(records),
      ];
      args.push("--format", format, "--seed", "7");
      if (registryUrl !== undefined) args.push("--schema-registry", registryUrl);
      const run = await runCli(args, {});
      if (run.status !== 0 || run.summary === undefined)
        throw new Error(`producer CLI failed: ${run.stderr}`);
      return measurement(scenario, run.summary as unknown as RunSummary);
    };
    results.push(await cli("json, generation included (producer CLI)", "json"));
    results.push(
      await publishOnly(
        "json, publish path alone (pre-generated)",
        { ...base, topic: await topic("bench-json-publish"), format: "json" },
        undefined,
      ),
    );
    if (registryUrl !== undefined) {
      results.push(await cli("avro, generation included (producer CLI)", "avro"));
      const avroTopic = await topic("bench-avro-publish");
      const registry = new SchemaRegistry({ host: registryUrl });
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(userAvroSchema()) },
        { subject: `${avroTopic}-value` },
      );
      results.push(
        await publishOnly(
          "avro, publish path alone (pre-generated)",
          { ...base, topic: avroTopic, format: "avro" },
          id,
        ),
      );
    }
    const jsonRecordBytes = results[0]!.average_record_bytes;
    const reference = await producerPerformance(bootstrap, await topic("bench-perf"), jsonRecordBytes);
    results.push(reference);
    const ratio = (measured: Measurement): number =>
      Math.round((measured.records_per_second / reference.records_per_second) * 100) / 100;
    const report = {
      benchmark: "producer",
      time: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? "unknown",
        load_average_1m_at_start: loadAtStart,
        load_average_1m_at_end: Math.round(loadavg()[0]! * 100) / 100,
      },
      settings: {
        records,
        partitions,
        acks: "all",
        idempotent: true,
        compression: "none",
        cli: relative(join(__dirname, ".."), producerCli),
      },
      results,
      ratios_to_producer_performance: Object.fromEntries(
        results.filter((m) => m !== reference).map((m) => [m.scenario, ratio(m)]),
      ),
      ...(registryProblem === undefined ? {} : { avro_skipped: registryProblem }),
      goals: {
        json_with_generation_records_per_second: { goal: 50_000, measured: results[0]!.records_per_second },
        json_publish_path_ratio: { goal: 0.5, measured: ratio(results[1]!) },
      },
    };
    mkdirSync(join(__dirname, "results"), { recursive: true });
    writeFileSync(resultsPath, JSON.stringify(report, null, 2) + "\n");
    for (const result of results) {
      process.stdout.write(
        `${result.scenario.padEnd(52)} ${String(result.records_per_second).padStart(9)} records/s ` +
          `${result.megabytes_per_second.toFixed(2).padStart(7)} MB/s` +
          `${result === reference ? "" : `  ${ratio(result).toFixed(2)}x ProducerPerformance`}\n`,
      );
    }
    process.stdout.write(`wrote ${resultsPath}\n`);
  } finally {
    await harness.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:producer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
