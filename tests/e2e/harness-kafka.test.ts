import test from "ava";
import type { ExecutionContext } from "ava";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import { defaultJobGroupPrefix } from "../../components/kafka-security";
import { kafkaClientConfig, pipelineAclInputs, startServices } from "../harness";
import type { Harness, KafkaEndpoint } from "../harness";
import { registryJournalTopic } from "../harness/services/schema-registry";

/**
 * Grants the pipeline's ACLs for `topic`, produces `values` to it as the producer principal,
 * consumes them back from the beginning as the streaming job (in a group of its prefix), returns
 * what was read.
 */
async function roundTrip(
  harness: Pick<Harness<"kafka">, "kafka" | "grant">,
  topic: string,
  values: readonly Buffer[],
): Promise<Buffer[]> {
  await harness.grant(["producer", "streaming-job"], pipelineAclInputs(topic));
  const kafka = (principal: "producer" | "streaming-job"): Kafka =>
    new Kafka({
      clientId: "harness-e2e",
      ...kafkaClientConfig(harness.kafka, principal),
      logLevel: logLevel.NOTHING,
    });
  const producer = kafka("producer").producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value, index) => ({ key: `key-${index}`, value })) });
  await producer.disconnect();
  const consumer = kafka("streaming-job").consumer({ groupId: `${defaultJobGroupPrefix}-${topic}` });
  const received: Buffer[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received.length}/${values.length} messages`)),
        60_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value) received.push(message.value);
          if (received.length >= values.length) {
            clearTimeout(timer);
            resolvePromise();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

const userSchema = {
  type: "record",
  name: "User",
  namespace: "dev.datapipeline.test",
  fields: [
    { name: "id", type: "string" },
    { name: "age", type: "int" },
  ],
};

let harness: Harness<"kafka" | "registry"> | undefined;

test.before(async () => {
  harness = await startServices({ services: ["kafka", "registry"] });
});

test.after.always(async () => {
  await harness?.stop();
});

/** The endpoint holds a login for the admin and every pipeline principal, all distinct. */
function assertLogins(t: ExecutionContext, kafka: KafkaEndpoint): void {
  t.is(kafka.admin.username, "admin");
  t.deepEqual(Object.keys(kafka.principals).sort(), [
    "airflow",
    "control-center",
    "producer",
    "schema-registry",
    "streaming-job",
    "topic-job",
  ]);
  const passwords = [kafka.admin, ...Object.values(kafka.principals)].map((login) => login.password);
  t.true(passwords.every((password) => /^[A-Za-z0-9]{32}$/.test(password)));
  t.is(new Set(passwords).size, passwords.length);
}

test.serial(
  "kafkajs produce/consume round trip against the ZooKeeper-mode broker, as producer and job",
  async (t) => {
    const services = harness!;
    t.is(services.kafka.mode, "zookeeper");
    t.regex(services.kafka.bootstrap, /^127\.0\.0\.1:\d+$/);
    assertLogins(t, services.kafka);
    const topic = services.uniqueName("roundtrip");
    await services.createTopic(topic, 2);
    const values = ["one", "two", "three"].map((text) => Buffer.from(text));
    const received = await roundTrip(services, topic, values);
    t.deepEqual(received.map((value) => value.toString()).sort(), ["one", "three", "two"]);
  },
);

// As the admin (a super user): the refusal must come from the broker's settings, not from an ACL.
test.serial(
  "auto topic creation is off: producing to an unknown topic fails, even for the admin",
  async (t) => {
    const kafka = new Kafka({
      ...kafkaClientConfig(harness!.kafka, "admin"),
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      await t.throwsAsync(
        producer.send({ topic: harness!.uniqueName("missing"), messages: [{ value: "x" }] }),
      );
    } finally {
      await producer.disconnect();
    }
  },
);

/** Records in the registry's journal topic (read as the admin). */
async function journalRecords(kafka: KafkaEndpoint): Promise<number> {
  const admin = new Kafka({ ...kafkaClientConfig(kafka, "admin"), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(registryJournalTopic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  } finally {
    await admin.disconnect();
  }
}

test.serial(
  "registers and fetches an Avro schema through the Confluent-compatible API, stored in Kafka",
  async (t) => {
    const services = harness!;
    t.regex(services.registry.url, /^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/);
    const journalBefore = await journalRecords(services.kafka);
    const registry = new SchemaRegistry({ host: services.registry.url });
    const subject = `${services.uniqueName("users")}-value`;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(userSchema) },
      { subject },
    );
    t.true(Number.isInteger(id));
    t.is(await registry.getLatestSchemaId(subject), id);
    const fetched = await registry.getSchema(id);
    t.truthy(fetched);
    const encoded = await registry.encode(id, { id: "u-1", age: 42 });
    t.is(encoded[0], 0, "Confluent wire format starts with magic byte 0");
    t.deepEqual({ ...(await registry.decode(encoded)) }, { id: "u-1", age: 42 });
    // Written by the registry as the schema-registry principal (kafkasql storage, SASL/SCRAM).
    t.true((await journalRecords(services.kafka)) > journalBefore);
  },
);

test.serial("Avro records travel through Kafka and decode with the registry", async (t) => {
  const services = harness!;
  const registry = new SchemaRegistry({ host: services.registry.url });
  const topic = services.uniqueName("avro");
  await services.createTopic(topic);
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(userSchema) },
    { subject: `${topic}-value` },
  );
  const records = [
    { id: "a", age: 1 },
    { id: "b", age: 2 },
  ];
  const encoded = await Promise.all(records.map((record) => registry.encode(id, record)));
  const received = await roundTrip(services, topic, encoded);
  const decoded = await Promise.all(received.map(async (value) => ({ ...(await registry.decode(value)) })));
  t.deepEqual(decoded, records);
});

test.serial(
  "KRaft mode: a combined broker+controller serves a round trip without ZooKeeper, as producer and job",
  async (t) => {
    const kraft = await startServices({ services: ["kafka"], kraft: true });
    try {
      t.is(kraft.kafka.mode, "kraft");
      t.is(kraft.endpoints.zookeeper, undefined);
      assertLogins(t, kraft.kafka);
      const topic = kraft.uniqueName("kraft");
      await kraft.createTopic(topic, 3);
      const received = await roundTrip(kraft, topic, [Buffer.from("raft")]);
      t.deepEqual(
        received.map((value) => value.toString()),
        ["raft"],
      );
    } finally {
      await kraft.stop();
    }
  },
);
