/**
 * Issue 11 on the harness: poison records mixed into 10,000 normal records from the producer CLI, on
 * a topic that accepts 8 MiB records. The job must stay up (one driver, never restarted), land every
 * normal id and every valid name of any script, and dead-letter each poison record with its reason;
 * a record too large for the dead-letter topic arrives there cut, marked and sized.
 */
import test from "ava";
import type { KafkaMessage } from "kafkajs";
import { startServices } from "../harness";
import type { Harness } from "../harness";
import { runCli } from "../unit/producer/cli-runner";
import { kafkaAs, keysOf, producerLogin, readTopic } from "./producer-support";
import type { JobRuntime, RunningJob } from "./spark-job-support";
import {
  deadLetterOf,
  newJobPipeline,
  prepareJobRuntime,
  sampleUser,
  startJob,
  tableIds,
  waitUntil,
} from "./spark-job-support";
import { sleep } from "../harness/lib";

let harness: Harness<"kafka" | "cassandra"> | undefined;
let runtime: JobRuntime | undefined;
let job: RunningJob | undefined;

test.before(async () => {
  runtime = await prepareJobRuntime();
  harness = await startServices({ services: ["kafka", "cassandra"], kraft: true });
});

test.after.always(async () => {
  if (job?.alive()) await job.process.stop(5_000);
  await harness?.stop();
});

const eightMiB = 8 * 1024 * 1024;
const deadLetterMaxBytes = 65_536; // DEAD_LETTER_MAX_BYTES in spark/users_stream/job.py
const text = (value: string): Buffer => Buffer.from(value, "utf8");
const json = (value: unknown): Buffer => text(JSON.stringify(value));

/** Each poison kind of the issue: its bytes and how its dead letter's reason starts. */
const poisonKinds: readonly { kind: string; reason: string; make(index: number): Buffer }[] = [
  {
    kind: "surrogate-in-valid-field",
    reason: 'invalid: first_name: is not valid Unicode text (lone surrogate) ("Ada\\ud83d")',
    make: (i) => json({ ...sampleUser(i), first_name: "Ada\ud83d" }),
  },
  {
    kind: "surrogate-in-invalid-field",
    reason: "invalid: email: is not valid Unicode text (lone surrogate)",
    make: (i) => json({ ...sampleUser(i), email: "not-an-email\ud83d" }),
  },
  {
    kind: "surrogate-in-key",
    reason: "invalid: \\ud83d: is not a field of the contract",
    make: (i) => json({ ...sampleUser(i), "\ud83d": 1 }),
  },
  {
    kind: "surrogate-as-utf8-bytes",
    reason: "unparsable: not UTF-8",
    make: () => Buffer.concat([text('{"first_name":"Ada'), Buffer.from([0xed, 0xa0, 0xbd]), text('"}')]),
  },
  {
    kind: "eight-mebibytes",
    reason: "oversize:",
    // Alone in its produce request: the topic's limit applies to a whole record batch.
    make: (i) => json({ ...sampleUser(i), padding: "x".repeat(eightMiB - 65_536) }),
  },
  {
    kind: "deep-nesting",
    reason: "unparsable: not JSON (nested deeper than 64 levels)",
    make: () => text(`${"[".repeat(5_000)}${"]".repeat(5_000)}`),
  },
  {
    kind: "huge-number",
    reason: "invalid: street_number: is not a 32-bit integer",
    make: (i) =>
      text(
        JSON.stringify(sampleUser(i)).replace('"street_number":12', `"street_number":1${"0".repeat(5_000)}`),
      ),
  },
  {
    kind: "nan",
    reason: "unparsable: not JSON (NaN is not a JSON number)",
    make: (i) => text(JSON.stringify(sampleUser(i)).replace('"street_number":12', '"street_number":NaN')),
  },
  {
    kind: "duplicate-key",
    reason: "invalid: street_number: is not a 32-bit integer",
    make: (i) => text(JSON.stringify(sampleUser(i)).replace(/}$/, ',"street_number":"12"}')),
  },
  {
    kind: "byte-order-mark",
    reason: "unparsable: not JSON (starts with a byte order mark)",
    make: (i) => text(`\ufeff${JSON.stringify(sampleUser(i))}`),
  },
];

/** Valid records that used to be refused: names of every script, decomposed (NFD) forms. */
const scriptNames = ["प्रिया", "Zoe\u0308", "Nguyễn", "Θεοδώρα", "Ólafsdóttir", "李"];

test.serial(
  "poison records among 10,000 normal ones: the job stays up, every id lands, every poison record is dead-lettered",
  async (t) => {
    t.timeout(15 * 60_000);
    if (!harness || !runtime) throw new Error("harness did not start");
    const pipeline = await newJobPipeline(harness, "poison", 2, {
      "max.message.bytes": String(eightMiB + 1_024),
    });
    job = await startJob(runtime, {
      ...pipeline,
      name: "users-stream-poison",
      env: { MAX_OFFSETS_PER_TRIGGER: "5000" },
    });
    const pid = job.process.pid;

    const producer = kafkaAs(pipeline.kafka, "producer").producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const args = ["--brokers", pipeline.kafka.bootstrap, "--topic", pipeline.topic, "--count", "10000"];
    const sending = runCli([...args, "--rate", "2000", "--seed", "17"], producerLogin(pipeline.kafka), {
      timeoutMs: 600_000,
    });
    const expectedLetters = new Map<string, { reason: string; size: number }>();
    const scriptIds = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      const messages = poisonKinds.map((kind, index) => {
        const key = `poison-${kind.kind}-${round}`;
        const value = kind.make(100 + round * 20 + index);
        expectedLetters.set(key, { reason: kind.reason, size: value.length });
        return { key, value };
      });
      scriptNames.forEach((name, index) => {
        const user: Record<string, unknown> = { ...sampleUser(1_000 + round * 20 + index), first_name: name };
        scriptIds.set(String(user.id), name);
        messages.push({ key: `script-${String(user.id)}`, value: json(user) });
      });
      const [large] = messages.splice(
        poisonKinds.findIndex((kind) => kind.kind === "eight-mebibytes"),
        1,
      );
      await producer.send({ topic: pipeline.topic, messages: [large!] });
      await producer.send({ topic: pipeline.topic, messages });
      await sleep(1_500);
    }
    await producer.disconnect();
    const run = await sending;
    t.is(run.status, 0, run.stderr);
    const keys = keysOf(await readTopic(pipeline.kafka, pipeline.topic));
    const sent = new Set(keys.filter((key) => !key.startsWith("poison-") && !key.startsWith("script-")));
    t.is(sent.size, 10_000);
    for (const id of scriptIds.keys()) sent.add(id);

    await waitUntil(
      async () => ((await tableIds(pipeline.cassandra, pipeline.keyspace))?.size ?? 0) >= sent.size,
      8 * 60_000,
      () => `rows did not reach ${sent.size}; job log: ${job?.log().slice(-3_000)}`,
      3_000,
    );
    await sleep(5_000);
    const ids = await tableIds(pipeline.cassandra, pipeline.keyspace);
    t.is(ids?.size, sent.size);
    t.deepEqual(
      [...sent].filter((id) => !ids?.has(id)),
      [],
      "ids sent but not stored",
    );

    const raw = await readTopic(pipeline.kafka, `${pipeline.topic}.dlq`);
    const letters = new Map(raw.map((message) => [message.key?.toString("utf8") ?? "", message]));
    t.is(raw.length, expectedLetters.size, "one dead letter per poison record");
    const wrong: string[] = [];
    for (const [key, expected] of expectedLetters) {
      const message = letters.get(key);
      const letter = message && deadLetterOf(message);
      if (!letter || !letter.reason.startsWith(expected.reason)) {
        wrong.push(`${key}: ${letter ? letter.reason.slice(0, 200) : "no dead letter"}`);
        continue;
      }
      checkTruncation(key, message!, expected.size, wrong);
    }
    t.deepEqual(wrong, []);
    t.log(`${raw.length} dead letters of ${poisonKinds.length} kinds; ${sent.size} ids stored`);

    t.true(job.alive() && job.process.pid === pid, "the driver stopped or restarted");
    const log = job.log();
    t.notRegex(log, /query failed|attempt \d+ failed|exiting so that the driver restarts/);
    t.notRegex(log, /An exception was thrown from the Python worker/);
    await job.process.stop();
  },
);

/** A dead letter is whole when it fits, else a 64 KiB prefix with the truncation headers. */
function checkTruncation(key: string, message: KafkaMessage, size: number, wrong: string[]): void {
  const header = (name: string): string | undefined => message.headers?.[name]?.toString();
  const value = message.value ?? Buffer.alloc(0);
  if (size > deadLetterMaxBytes) {
    if (value.length !== deadLetterMaxBytes)
      wrong.push(`${key}: value of ${value.length} bytes, not a 64 KiB prefix`);
    if (header("dlq.truncated") !== "true") wrong.push(`${key}: no dlq.truncated header`);
    if (header("dlq.original.size") !== String(size))
      wrong.push(`${key}: dlq.original.size ${header("dlq.original.size")}, sent ${size}`);
  } else {
    if (value.length !== size) wrong.push(`${key}: value of ${value.length} bytes, sent ${size}`);
    if (header("dlq.truncated") !== undefined) wrong.push(`${key}: marked truncated`);
  }
  if (!(Number(header("dlq.source.offset")) >= 0)) wrong.push(`${key}: no source offset`);
}
