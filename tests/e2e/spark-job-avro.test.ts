/**
 * The users stream in Avro mode on the harness: records in Confluent wire format from the producer
 * CLI (`--format avro`, the writer schema registered in the harness' registry, Apicurio's
 * Confluent-compatible API), the job started with RECORD_FORMAT=avro resolving schema ids there.
 * Malformed Avro records mixed in land in the DLQ with their reasons; the job keeps running.
 */
import test from "ava";
import { startServices } from "../harness";
import type { Harness } from "../harness";
import { sleep } from "../harness/lib";
import { runCli } from "../unit/producer/cli-runner";
import type { CliRun } from "../unit/producer/cli-runner";
import { kafkaAs, keysOf, producerLogin, readTopic } from "./producer-support";
import type { JobRuntime, RunningJob } from "./spark-job-support";
import {
  deadLetterOf,
  newJobPipeline,
  mismatchedDeadLetters,
  prepareJobRuntime,
  sampleUser,
  startJob,
  tableIds,
  waitUntil,
} from "./spark-job-support";

type AvroHarness = Harness<"kafka" | "cassandra" | "registry">;
let harness: AvroHarness | undefined;
let runtime: JobRuntime | undefined;
const jobs: RunningJob[] = [];

test.before(async () => {
  runtime = await prepareJobRuntime();
  harness = await startServices({ services: ["kafka", "cassandra", "registry"], kraft: true });
});

test.after.always(async () => {
  for (const job of jobs) if (job.alive()) await job.process.stop(5_000);
  await harness?.stop();
});

function services(): { harness: AvroHarness; runtime: JobRuntime } {
  if (!harness || !runtime) throw new Error("harness did not start");
  return { harness, runtime };
}

/** Runs the producer CLI in Avro mode against the harness' registry. */
function produceAvro(topic: string, count: number, seed: number): Promise<CliRun> {
  const { harness: running } = services();
  const args = ["--brokers", running.kafka.bootstrap, "--topic", topic, "--format", "avro"];
  args.push("--schema-registry", running.registry.url, "--count", String(count), "--seed", String(seed));
  return runCli(args, producerLogin(running.kafka), { timeoutMs: 300_000 });
}

/** A schema id the registry does not hold (ids are small and sequential there). */
const unknownSchemaId = 987_654;

/** Malformed Avro records made from one valid wire-format value, with the reason each must get. */
function malformedAvro(
  valid: Buffer,
  schemaId: number,
): { kind: string; reason: string; make: (index: number) => Buffer }[] {
  const header = (id: number): Buffer => {
    const bytes = Buffer.alloc(5);
    bytes.writeUInt32BE(id, 1);
    return bytes;
  };
  return [
    {
      kind: "not-wire-format",
      reason: "unparsable: not Confluent wire format",
      make: (index) => Buffer.from(JSON.stringify(sampleUser(index))),
    },
    {
      kind: "unknown-schema-id",
      reason: `unknown schema id ${unknownSchemaId}`,
      make: () => Buffer.concat([header(unknownSchemaId), valid.subarray(5)]),
    },
    {
      kind: "truncated",
      reason: `unparsable: Avro payload does not match schema id ${schemaId}`,
      make: (index) => valid.subarray(0, valid.length - 1 - (index % 20)),
    },
    {
      kind: "trailing-bytes",
      reason: "unparsable: 3 trailing bytes after the Avro record",
      make: () => Buffer.concat([valid, Buffer.from([1, 2, 3])]),
    },
  ];
}

test.serial(
  "5,000 Avro records (schema ids from the registry) -> exactly those ids in Cassandra; malformed Avro -> the DLQ with reasons",
  async (t) => {
    t.timeout(12 * 60_000);
    const { harness: running, runtime: jobRuntime } = services();
    const pipeline = await newJobPipeline(running, "avro");
    const { topic, keyspace } = pipeline;
    const job = await startJob(jobRuntime, {
      ...pipeline,
      name: "users-stream-avro",
      env: {
        RECORD_FORMAT: "avro",
        SCHEMA_REGISTRY_URL: running.registry.url,
        MAX_OFFSETS_PER_TRIGGER: "2500",
        // 20-row batches span 20 partitions: above the harness node's warning threshold (10), so
        // Cassandra answers each with a server warning, which the Java driver logs (see below).
        CASSANDRA_BATCH_SIZE_ROWS: "20",
      },
    });
    jobs.push(job);

    const first = await produceAvro(topic, 2_500, 31);
    t.is(first.status, 0, first.stderr);
    const [sample] = await readTopic(running.kafka, topic);
    const valid = sample?.value;
    if (!valid) throw new Error("no Avro record in the topic");
    t.is(valid[0], 0, "the CLI writes Confluent wire format (magic byte 0)");
    const schemaId = valid.readUInt32BE(1);

    const kinds = malformedAvro(valid, schemaId);
    const expected = new Map<string, { reason: string; value: Buffer }>();
    const producer = kafkaAs(running.kafka, "producer").producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const messages = Array.from({ length: 40 }, (_, index) => {
        const kind = kinds[index % kinds.length]!;
        const key = `bad-${kind.kind}-${index}`;
        const value = kind.make(index);
        expected.set(key, { reason: kind.reason, value });
        return { key, value };
      });
      await producer.send({ topic, messages });
    } finally {
      await producer.disconnect();
    }
    const second = await produceAvro(topic, 2_500, 37);
    t.is(second.status, 0, second.stderr);

    const sent = new Set(
      keysOf(await readTopic(running.kafka, topic)).filter((key) => !key.startsWith("bad-")),
    );
    t.is(sent.size, 5_000);
    const started = Date.now();
    let rows = 0;
    await waitUntil(
      async () => (rows = (await tableIds(running.cassandra, keyspace))?.size ?? -1) >= 5_000,
      5 * 60_000,
      () => `rows stuck at ${rows}; job log: ${job.log().slice(-2_000)}`,
      2_000,
    );
    t.log(`5,000 rows landed ${Math.round((Date.now() - started) / 1000)} s after the producer finished`);
    await sleep(5_000); // a few more triggers: nothing else may arrive
    const ids = await tableIds(running.cassandra, keyspace);
    t.true(
      ids !== null && ids.size === sent.size && [...sent].every((id) => ids.has(id)),
      `table holds ${ids?.size} ids, not exactly the 5,000 sent`,
    );

    const letters = (await readTopic(running.kafka, `${topic}.dlq`)).map(deadLetterOf);
    t.is(letters.length, 40);
    t.is(new Set(letters.map((letter) => letter.key)).size, 40);
    const wrong = mismatchedDeadLetters(letters, expected);
    t.deepEqual(
      wrong.slice(0, 5).map((letter) => ({ key: letter.key, reason: letter.reason })),
      [],
    );
    t.true(job.alive(), "the job stopped on bad data");
    const log = job.log();
    t.notRegex(log, /attempt \d+ failed/, "a batch failed (registry or Cassandra)");
    // The driver logs each server warning with its statement; the job has it leave out the bound
    // values, so no user's data (here: their ids) reaches the job log.
    t.regex(log, /generated server side warning/);
    const leaked = [...sent].filter((id) => log.includes(id));
    t.deepEqual(leaked.slice(0, 3), [], `${leaked.length} user ids in the job log`);
    await job.process.stop();
  },
);
