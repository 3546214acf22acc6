/**
 * `npm run bench:producer`: throughput of the producer on the harness broker, against Kafka's own
 * ProducerPerformance in the same run. Writes bench/results/producer.json and prints a summary.
 *
 * Scenarios (every one at full speed, acks = all, idempotent, 3 partitions, a fresh topic each run):
 * - json / avro, generation included: the `producer` CLI as a child process, as users run it;
 * - json / avro, publish path alone: records generated beforehand, then only sent;
 * - ProducerPerformance (org.apache.kafka.tools, kafka-tools 3.9.1), same record count, JSON record size.
 * The broker is warmed up first (its JIT makes the first million records much slower); then every
 * scenario runs once per round, rounds interleaved so that drift hits all alike; the median is reported.
 *
 * Environment: BENCH_PRODUCER_RECORDS (default 300000), BENCH_PRODUCER_ROUNDS (default 3),
 * BENCH_PRODUCER_WARMUP (records, default 1000000), BENCH_PRODUCER_PARTITIONS (default 3).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { userAvroSchema } from "../contracts/users";
import { pipelineAclInputs, startServices } from "../tests/harness";
import type { Measurement, Target } from "./producer-scenarios";
import { cliScenario, pregenerate, producerPerformanceScenario, publishScenario } from "./producer-scenarios";

const records = Number(process.env.BENCH_PRODUCER_RECORDS ?? 300_000);
const rounds = Number(process.env.BENCH_PRODUCER_ROUNDS ?? 3);
const warmup = Number(process.env.BENCH_PRODUCER_WARMUP ?? 1_000_000);
const partitions = Number(process.env.BENCH_PRODUCER_PARTITIONS ?? 3);
const resultsPath = join(__dirname, "results", "producer.json");
const reference = "kafka ProducerPerformance (acks=all, idempotent)";
const jsonWithGeneration = "json, generation included (producer CLI)";
const jsonPublishPath = "json, publish path alone (pre-generated)";

const load = (): number => Math.round(loadavg()[0]! * 100) / 100;
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function main(): Promise<void> {
  const loadAtStart = load();
  process.stderr.write(`bench:producer: ${records} records x ${rounds} rounds, ${partitions} partitions\n`);
  let registryProblem: string | undefined;
  const harness = await startServices({
    services: ["kafka", "registry"],
    run: `bench-producer-${process.pid}`,
  }).catch(async (error: unknown) => {
    registryProblem = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench:producer: Avro skipped, the registry did not start: ${registryProblem}\n`);
    return startServices({ services: ["kafka"], run: `bench-producer-kafka-${process.pid}` });
  });
  const registryUrl = "registry" in harness ? (harness.registry as { url: string }).url : undefined;
  try {
    const target = async (name: string, count = records): Promise<Target> => {
      const topic = harness.uniqueName(name);
      await harness.createTopic(topic, partitions);
      await harness.grant("producer", pipelineAclInputs(topic));
      return {
        bootstrap: harness.kafka.bootstrap,
        login: harness.kafka.principals.producer,
        topic,
        records: count,
        ...(registryUrl === undefined ? {} : { registryUrl }),
      };
    };
    let schemaId: number | undefined;
    if (registryUrl !== undefined) {
      const subject = `${harness.uniqueName("bench-avro-publish")}-value`;
      const registry = new SchemaRegistry({ host: registryUrl });
      schemaId = (
        await registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(userAvroSchema()) },
          { subject },
        )
      ).id;
    }
    const jsonBatches = await pregenerate("json", records, partitions, undefined);
    const avroBatches =
      schemaId === undefined ? [] : await pregenerate("avro", records, partitions, schemaId);
    const jsonRecordBytes = Math.round(
      jsonBatches.reduce((sum, batch) => sum + batch.bytes.byteLength, 0) / Math.max(records, 1),
    );
    process.stderr.write(`bench:producer: warming the broker up with ${warmup} records\n`);
    if (warmup > 0) await producerPerformanceScenario(await target("bench-warmup", warmup), jsonRecordBytes);
    if (warmup > 0) await cliScenario(await target("bench-warmup", Math.min(warmup, records)), "json");

    const scenarios: [string, () => Promise<Measurement>][] = [
      [jsonWithGeneration, async () => cliScenario(await target("bench-json"), "json")],
      [jsonPublishPath, async () => publishScenario(await target("bench-json-publish"), "json", jsonBatches)],
      [reference, async () => producerPerformanceScenario(await target("bench-perf"), jsonRecordBytes)],
    ];
    if (registryUrl !== undefined) {
      scenarios.push(
        [
          "avro, generation included (producer CLI)",
          async () => cliScenario(await target("bench-avro"), "avro"),
        ],
        [
          "avro, publish path alone (pre-generated)",
          async () => publishScenario(await target("bench-avro-publish"), "avro", avroBatches),
        ],
      );
    }
    const runs = new Map<string, Measurement[]>(scenarios.map(([name]) => [name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const [name, scenario] of scenarios) {
        const result = await scenario();
        runs.get(name)!.push(result);
        process.stderr.write(
          `bench:producer: round ${round}: ${name}: ${result.records_per_second} records/s\n`,
        );
      }
    }
    const results = scenarios.map(([name]) => {
      const measured = runs.get(name)!;
      const middle = median(measured.map((run) => run.records_per_second));
      const chosen = measured.find((run) => run.records_per_second === middle)!;
      return {
        scenario: name,
        ...chosen,
        runs_records_per_second: measured.map((run) => run.records_per_second),
      };
    });
    const referenceRate = results.find((result) => result.scenario === reference)!.records_per_second;
    const ratio = (rate: number): number => Math.round((rate / referenceRate) * 100) / 100;
    const rateOf = (name: string): number =>
      results.find((result) => result.scenario === name)!.records_per_second;
    const report = {
      benchmark: "producer",
      time: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? "unknown",
        load_average_1m_at_start: loadAtStart,
        load_average_1m_at_end: load(),
      },
      settings: { records, rounds, warmup_records: warmup, partitions, acks: "all", idempotent: true },
      statistic: "median of the rounds (runs_records_per_second lists every round)",
      results,
      ratios_to_producer_performance: Object.fromEntries(
        results
          .filter((result) => result.scenario !== reference)
          .map((r) => [r.scenario, ratio(r.records_per_second)]),
      ),
      goals: {
        json_with_generation_records_per_second: { goal: 50_000, measured: rateOf(jsonWithGeneration) },
        json_publish_path_ratio: { goal: 0.5, measured: ratio(rateOf(jsonPublishPath)) },
      },
      ...(registryProblem === undefined ? {} : { avro_skipped: registryProblem }),
    };
    mkdirSync(join(__dirname, "results"), { recursive: true });
    writeFileSync(resultsPath, JSON.stringify(report, null, 2) + "\n");
    for (const result of results) {
      process.stdout.write(
        `${result.scenario.padEnd(50)} ${String(result.records_per_second).padStart(8)} records/s ` +
          `${result.megabytes_per_second.toFixed(2).padStart(6)} MB/s` +
          (result.scenario === reference
            ? ""
            : `  ${ratio(result.records_per_second).toFixed(2)}x ProducerPerformance`) +
          "\n",
      );
    }
    process.stdout.write(
      `(median of ${rounds} rounds; load average ${loadAtStart} -> ${load()})\nwrote ${resultsPath}\n`,
    );
  } finally {
    await harness.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:producer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
