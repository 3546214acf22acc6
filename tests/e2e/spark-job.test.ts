/**
 * The users stream (spark/) on the harness: Kafka (KRaft) and Cassandra as real processes, the job
 * as a local driver (spark-submit from the venv's pyspark, master `local[2]`, the harness' connector
 * jars), records from the producer CLI. Each test uses its own topic, keyspace and checkpoint.
 */
import test from "ava";
import { readdirSync } from "node:fs";
import { startServices } from "../harness";
import type { Harness } from "../harness";
import { sleep } from "../harness/lib";
import { runCli } from "../unit/producer/cli-runner";
import type { CliRun } from "../unit/producer/cli-runner";
import { kafkaAs, keysOf, producerLogin, readTopic } from "./producer-support";
import type { JobOptions, JobRuntime, RunningJob } from "./spark-job-support";
import {
  deadLetterOf,
  newJobPipeline,
  mismatchedDeadLetters,
  malformedKinds,
  prepareJobRuntime,
  sparkLocalDirectory,
  startJob,
  stopCassandra,
  tableIds,
  waitUntil,
} from "./spark-job-support";

type JobHarness = Harness<"kafka" | "cassandra">;
let harness: JobHarness | undefined;
let runtime: JobRuntime | undefined;
const jobs: RunningJob[] = [];
const maxRecordBytes = 4_096;

test.before(async () => {
  runtime = await prepareJobRuntime();
  harness = await startServices({ services: ["kafka", "cassandra"], kraft: true });
});

test.after.always(async () => {
  for (const job of jobs) if (job.alive()) await job.process.stop(5_000);
  await harness?.stop();
});

function services(): { harness: JobHarness; runtime: JobRuntime } {
  if (!harness || !runtime) throw new Error("harness did not start");
  return { harness, runtime };
}

/** A fresh topic (2 partitions), its DLQ topic, a keyspace with the contract's table, a checkpoint. */
async function newPipeline(prefix: string): Promise<Omit<JobOptions, "name">> {
  return {
    ...(await newJobPipeline(services().harness, prefix)),
    env: { MAX_RECORD_BYTES: String(maxRecordBytes) },
  };
}

let starts = 0;
async function start(
  options: Omit<JobOptions, "name">,
  env: Record<string, string> = {},
): Promise<RunningJob> {
  const job = await startJob(services().runtime, {
    ...options,
    name: `users-stream-${++starts}`,
    env: { ...options.env, ...env },
  });
  jobs.push(job);
  return job;
}

function produce(topic: string, count: number, rate: number, seed: number): Promise<CliRun> {
  const kafka = services().harness.kafka;
  const args = ["--brokers", kafka.bootstrap, "--topic", topic];
  args.push("--count", String(count), "--rate", String(rate), "--seed", String(seed));
  return runCli(args, producerLogin(kafka), { timeoutMs: 600_000 });
}

/** The valid ids in the topic (the producer keys each record by its id). */
async function sentIds(topic: string): Promise<Set<string>> {
  const keys = keysOf(await readTopic(services().harness.kafka, topic));
  return new Set(keys.filter((key) => !key.startsWith("bad-")));
}

async function rowCount(keyspace: string): Promise<number> {
  return (await tableIds(services().harness.cassandra, keyspace))?.size ?? -1;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((value) => b.has(value));
}

test.serial(
  "50,000 records -> exactly those ids in Cassandra; 1,000 malformed of 11 kinds -> the DLQ with reasons",
  async (t) => {
    t.timeout(15 * 60_000);
    const pipeline = await newPipeline("users");
    const job = await start(pipeline, { MAX_OFFSETS_PER_TRIGGER: "20000" });
    const kinds = malformedKinds(maxRecordBytes);
    const producer = kafkaAs(pipeline.kafka, "producer").producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const sending = produce(pipeline.topic, 50_000, 0, 5);
    const expected = new Map<string, { reason: string; value: Buffer }>();
    for (let chunk = 0; chunk < 10; chunk++) {
      const messages = Array.from({ length: 100 }, (_, offset) => {
        const index = chunk * 100 + offset;
        const kind = kinds[index % kinds.length]!;
        const value = kind.make(index);
        const key = `bad-${kind.kind}-${index}`;
        expected.set(key, { reason: kind.reason, value });
        return { key, value };
      });
      await producer.send({ topic: pipeline.topic, messages });
      await sleep(300);
    }
    await producer.disconnect();
    const run = await sending;
    t.is(run.status, 0, run.stderr);
    const sent = await sentIds(pipeline.topic);
    t.is(sent.size, 50_000);

    const started = Date.now();
    await waitUntil(
      async () => (await rowCount(pipeline.keyspace)) >= 50_000,
      8 * 60_000,
      () => `rows did not reach 50,000; job log: ${job.log().slice(-2_000)}`,
      5_000,
    );
    t.log(`50,000 rows landed ${Math.round((Date.now() - started) / 1000)} s after the producer finished`);
    await sleep(5_000); // a few more triggers: nothing else may arrive
    const ids = await tableIds(pipeline.cassandra, pipeline.keyspace);
    t.true(ids !== null && sameSet(ids, sent), `table holds ${ids?.size} ids, not exactly the 50,000 sent`);

    const letters = (await readTopic(pipeline.kafka, `${pipeline.topic}.dlq`)).map(deadLetterOf);
    t.is(letters.length, 1_000);
    t.is(new Set(letters.map((letter) => letter.key)).size, 1_000);
    const wrong = mismatchedDeadLetters(letters, expected);
    t.deepEqual(
      wrong.slice(0, 5).map((letter) => ({ key: letter.key, reason: letter.reason })),
      [],
    );
    t.is(new Set([...expected.keys()].map((key) => key.split("-").slice(1, -1).join("-"))).size, 11);
    t.true(job.alive(), "the job stopped on bad data");
    t.regex(job.log(), /batch \d+: rows in \d+, written \d+, rejected \d+/);
    await job.process.stop();
  },
);

test.serial(
  "driver SIGKILLed three times mid-stream, restarted from its checkpoint -> still exactly the sent set",
  async (t) => {
    t.timeout(20 * 60_000);
    const pipeline = await newPipeline("killed");
    const env = { MAX_OFFSETS_PER_TRIGGER: "2500" };
    let job = await start(pipeline, env);
    const sending = produce(pipeline.topic, 40_000, 4_000, 11);
    let last = 0;
    for (let kill = 1; kill <= 3; kill++) {
      const threshold = last + 2_500;
      await waitUntil(
        async () => (last = await rowCount(pipeline.keyspace)) >= threshold,
        5 * 60_000,
        () => `rows stuck at ${last} before kill ${kill}; job log: ${job.log().slice(-2_000)}`,
        1_000,
      );
      t.true(last < 40_000, `kill ${kill} came after the stream was done (${last} rows)`);
      await job.kill();
      t.log(`kill ${kill}: SIGKILL at ${last} rows`);
      job = await start(pipeline, env);
    }
    // A SIGKILLed driver never deletes its scratch: each one's is in the harness run directory
    // (removed with the run), none in /tmp. Four drivers so far, three of them killed.
    const scratch = readdirSync(sparkLocalDirectory(pipeline.run)).filter((name) =>
      name.startsWith("spark-"),
    );
    t.true(scratch.length >= 4, `Spark scratch in the run directory: ${scratch.join(", ") || "none"}`);
    const run = await sending;
    t.is(run.status, 0, run.stderr);
    const sent = await sentIds(pipeline.topic);
    t.is(sent.size, 40_000);
    await waitUntil(
      async () => (await rowCount(pipeline.keyspace)) >= 40_000,
      8 * 60_000,
      () => `rows did not reach 40,000; job log: ${job.log().slice(-2_000)}`,
      5_000,
    );
    await sleep(5_000);
    const ids = await tableIds(pipeline.cassandra, pipeline.keyspace);
    t.true(ids !== null && sameSet(ids, sent), `table holds ${ids?.size} ids, not exactly the 40,000 sent`);
    t.true(job.alive());
    await job.process.stop();
  },
);

// Issue 5: after Cassandra came back, a write could hang for ever inside the connector (a schema
// refresh that failed during the outage poisons the cached session, see BatchWriter in
// spark/users_stream/job.py). The job now retries on a new session and bounds every attempt; a
// 120 s attempt bound keeps even a watchdog-driven recovery well inside this test's window.
test.serial(
  "Cassandra stopped for 30 s mid-stream -> after it returns, still exactly the sent set",
  async (t) => {
    t.timeout(20 * 60_000);
    const { harness: running } = services();
    const pipeline = await newPipeline("outage");
    const job = await start(pipeline, {
      MAX_OFFSETS_PER_TRIGGER: "2500",
      BATCH_ATTEMPT_TIMEOUT_SECONDS: "120",
    });
    const sending = produce(pipeline.topic, 30_000, 1_000, 23);
    let rows = 0;
    await waitUntil(
      async () => (rows = await rowCount(pipeline.keyspace)) >= 3_000,
      5 * 60_000,
      () => `rows stuck at ${rows}; job log: ${job.log().slice(-2_000)}`,
      1_000,
    );
    const daemon = running.processes.find((process) => process.service === "cassandra");
    if (!daemon) throw new Error("no cassandra process in the harness");
    const restart = await stopCassandra(running.run, daemon, running.cassandra);
    t.log(`Cassandra stopped at ${rows} rows`);
    await sleep(30_000);
    const restartedAt = Date.now();
    await restart("cassandra-restarted");
    t.log(`Cassandra answers again after ${Math.round((Date.now() - restartedAt) / 1000)} s`);
    const run = await sending;
    t.is(run.status, 0, run.stderr);
    const sent = await sentIds(pipeline.topic);
    t.is(sent.size, 30_000);
    await waitUntil(
      async () => (await rowCount(pipeline.keyspace)) >= 30_000,
      10 * 60_000,
      () => `rows did not reach 30,000; job log: ${job.log().slice(-2_000)}`,
      5_000,
    );
    await sleep(5_000);
    const ids = await tableIds(pipeline.cassandra, pipeline.keyspace);
    t.true(ids !== null && sameSet(ids, sent), `table holds ${ids?.size} ids, not exactly the 30,000 sent`);
    t.true(job.alive(), "the job died during the outage");
    // The job must have seen the outage: either a write attempt failed, or (when the outage began
    // between two batches) the CQL probe before an attempt found Cassandra silent and waited.
    const log = job.log();
    t.regex(log, /attempt \d+ failed, retrying|Cassandra unreachable, waiting/);
    const count = (pattern: RegExp): number => log.match(pattern)?.length ?? 0;
    t.log(
      `${count(/Cassandra unreachable, waiting/g)} probe waits, ` +
        `${count(/attempt \d+ failed, retrying/g)} failed attempts, ` +
        `${count(/the next attempt opens a new one/g)} session renewals, ` +
        `${count(/still running after/g)} attempts cancelled by the watchdog`,
    );
    await job.process.stop();
  },
);
