import test from "ava";
import * as avro from "avsc";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateUser } from "../../../contracts/validate";
import { BatchEncoder, messagesOf } from "../../../producer/src/batch-encoder";
import { InlineBatchSource, WorkerBatchSource } from "../../../producer/src/batch-source";
import {
  createUserAvroType,
  decodeConfluentAvro,
  decodeUserJson,
  encodeConfluentAvro,
  encodeUserJson,
} from "../../../producer/src/encoding";
import { UserGenerator } from "../../../producer/src/generator";
import { murmur2, partitionOfKey } from "../../../producer/src/partition";

const users = (() => {
  const generator = new UserGenerator({ seed: 11, eventTime: "sequence" });
  return Array.from({ length: 2_000 }, () => generator.next());
})();

test("JSON: the fast encoder equals JSON.stringify and round-trips", (t) => {
  for (const user of users) {
    const text = encodeUserJson(user);
    t.is(text, JSON.stringify(user));
    t.deepEqual(decodeUserJson(Buffer.from(text)), user);
  }
});

test("JSON: strings that need escaping are escaped", (t) => {
  const user = { ...users[0]!, street_name: 'He said "hi"\\\n', city: "tab\there" };
  t.deepEqual(JSON.parse(encodeUserJson(user)), user);
});

test("Avro: Confluent wire format round-trips and is readable with the plain .avsc", (t) => {
  const type = createUserAvroType();
  const plain = avro.Type.forSchema(
    JSON.parse(readFileSync(join(__dirname, "../../../contracts/users.avsc"), "utf8")) as avro.Schema,
  );
  for (const user of users) {
    const message = encodeConfluentAvro(type, 42, user);
    t.is(message[0], 0);
    t.is(message.readUInt32BE(1), 42);
    t.deepEqual(decodeConfluentAvro(type, 42, message), user);
    const raw = plain.fromBuffer(message.subarray(5)) as Record<string, unknown>;
    t.is(raw.event_time, Date.parse(user.event_time));
    t.is(raw.dob, Date.parse(`${user.dob}T00:00:00Z`) / 86_400_000);
  }
});

test("Avro: a wrong magic byte or schema id is refused", (t) => {
  const type = createUserAvroType();
  const message = encodeConfluentAvro(type, 7, users[0]!);
  t.throws(() => decodeConfluentAvro(type, 8, message), { message: /schema id 7, expected 8/ });
  t.throws(() => decodeConfluentAvro(type, 7, Buffer.from("{}")), { message: /Confluent wire format/ });
});

test("batches pack keys (the user id) and values without copying, within the byte bound", (t) => {
  const encoder = new BatchEncoder({ seed: 11, format: "json", eventTime: "sequence" });
  const batch = encoder.nextBatch(1_000, 64 * 1024);
  t.true(batch.records > 50 && batch.records < 1_000, "stopped by bytes");
  t.true(batch.bytes.byteLength < 64 * 1024 + 2_048);
  const messages = messagesOf(batch);
  messages.forEach((message, index) => {
    const user = JSON.parse(message.value.toString("utf8")) as (typeof users)[number];
    t.deepEqual(user, users[index]);
    t.is(message.key.toString(), user.id);
  });
  const next = encoder.nextBatch(10, 1 << 20);
  t.is(next.firstIndex, batch.records);
  t.is(next.records, 10);
});

test("Avro batches decode to the same records as JSON batches", (t) => {
  const type = createUserAvroType();
  const json = messagesOf(
    new BatchEncoder({ seed: 5, format: "json", eventTime: "sequence" }).nextBatch(300, 1 << 20),
  );
  const avroBatch = new BatchEncoder({
    seed: 5,
    format: "avro",
    schemaId: 3,
    eventTime: "sequence",
  }).nextBatch(300, 1 << 20);
  messagesOf(avroBatch).forEach((message, index) => {
    const user = decodeConfluentAvro(type, 3, message.value);
    t.deepEqual(user, JSON.parse(json[index]!.value.toString()));
    t.deepEqual(validateUser(user), []);
  });
  t.throws(() => new BatchEncoder({ seed: 1, format: "avro" }), { message: /no schema id/ });
});

test("the worker source gives the same records as the inline source, exactly count of them", async (t) => {
  const options = {
    encoder: { seed: 77, format: "json" as const, eventTime: "sequence" as const },
    count: 2_500,
    batchRecords: 400,
    batchBytes: 1 << 20,
  };
  const collect = async (source: InlineBatchSource | WorkerBatchSource): Promise<string[]> => {
    const values: string[] = [];
    for (let batch = await source.next(); batch !== undefined; batch = await source.next()) {
      for (const message of messagesOf(batch)) values.push(message.value.toString());
    }
    await source.close();
    return values;
  };
  const inline = await collect(new InlineBatchSource(options));
  const worker = await collect(new WorkerBatchSource({ ...options, queueDepth: 2 }));
  t.is(inline.length, 2_500);
  t.deepEqual(worker, inline);
});

test("closing the worker source early ends it", async (t) => {
  const source = new WorkerBatchSource({
    encoder: { seed: 1, format: "json" },
    count: 0,
    batchRecords: 100,
    batchBytes: 1 << 20,
  });
  t.truthy(await source.next());
  await source.close();
  t.is(await source.next(), undefined);
});

test("partitions are computed like Kafka's default partitioner (murmur2 of the key)", (t) => {
  // kafkajs's own (Java-compatible) implementation is the reference.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2") as (
    key: Buffer,
  ) => number;
  for (const text of ["", "a", "ab", "abc", "abcd", "abcde", ...users.slice(0, 500).map((user) => user.id)]) {
    const key = Buffer.from(text);
    t.is(murmur2(key), kafkajsMurmur2(key), text);
  }
  const batch = new BatchEncoder({ seed: 11, format: "json", partitionCount: 6 }).nextBatch(600, 1 << 20);
  const messages = messagesOf(batch);
  t.true(
    messages.every((message) => message.partition === partitionOfKey(message.key, 0, message.key.length, 6)),
  );
  t.is(new Set(messages.map((message) => message.partition)).size, 6);
  t.is(
    messagesOf(new BatchEncoder({ seed: 1, format: "json" }).nextBatch(5, 1 << 20))[0]!.partition,
    undefined,
  );
});
