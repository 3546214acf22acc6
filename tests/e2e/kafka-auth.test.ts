/**
 * The product's Kafka security on a real broker, in ZooKeeper mode and in KRaft: SASL/SCRAM-SHA-512
 * refuses a client without credentials or with a wrong password, and the ACLs of
 * `pipelineAcls(...)` (granted with kafka-acls, as the KafkaUser job does) let each principal do
 * what it needs and nothing more. Writes go through kafkajs (what the producer uses); reads through
 * Kafka's own console consumer, whose exceptions name the refused resource.
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { KafkaConfig } from "kafkajs";
import { defaultJobGroupPrefix } from "../../components/kafka-security";
import type { PipelineAclInputs } from "../../components/kafka-security";
import { kafkaClientConfig, startServices } from "../harness";
import type { Harness, HarnessPrincipal } from "../harness";
import { consoleRead, kafkaErrorTypes } from "./kafka-auth-support";

type Mode = "zookeeper" | "kraft";

/** One started broker and the pipeline its principals were granted. */
interface Secured {
  readonly mode: Mode;
  readonly harness: Harness<"kafka">;
  readonly acls: PipelineAclInputs;
  /** A topic only the topic job creates (a managed topic nobody created yet). */
  readonly jobTopic: string;
}

let current: Secured | undefined;

/**
 * The harness of `mode`, started on first use (the previous mode's is stopped first, so only one
 * broker runs): the users topic and its DLQ created by the admin, one record in the users topic,
 * and the producer, streaming-job, airflow and topic-job principals granted their ACLs.
 */
async function secured(mode: Mode): Promise<Secured> {
  if (current?.mode === mode) return current;
  await current?.harness.stop();
  current = undefined;
  const harness = await startServices({ services: ["kafka"], kraft: mode === "kraft" });
  try {
    const usersTopic = harness.uniqueName("users");
    const deadLetterTopic = `${usersTopic}.dlq`;
    const jobTopic = harness.uniqueName("managed");
    const acls: PipelineAclInputs = {
      usersTopic,
      deadLetterTopic,
      managedTopics: [usersTopic, deadLetterTopic, jobTopic],
      jobGroupPrefix: defaultJobGroupPrefix,
    };
    await harness.createTopic(usersTopic, 1);
    await harness.createTopic(deadLetterTopic, 1);
    await harness.grant(["producer", "streaming-job", "airflow", "topic-job"], acls);
    await send(client(harness, "admin"), usersTopic, "seed");
    current = { mode, harness, acls, jobTopic };
    return current;
  } catch (error) {
    await harness.stop();
    throw error;
  }
}

test.after.always(async () => {
  await current?.harness.stop();
});

/** A kafkajs client of the harness broker with these settings; no retries, refusals are final. */
function client(harness: Harness<"kafka">, principal: HarnessPrincipal | KafkaConfig["sasl"] | null): Kafka {
  const login =
    principal === null
      ? { brokers: [harness.kafka.bootstrap] }
      : typeof principal === "string"
        ? kafkaClientConfig(harness.kafka, principal)
        : { brokers: [harness.kafka.bootstrap], sasl: principal };
  return new Kafka({
    clientId: "kafka-auth-e2e",
    ...login,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    retry: { retries: 0 },
  });
}

async function send(kafka: Kafka, topic: string, value: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ key: value, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** Asserts that `attempt` fails with a Kafka error of type `type` (e.g. TOPIC_AUTHORIZATION_FAILED). */
async function refused(
  t: ExecutionContext,
  attempt: Promise<unknown>,
  type: string,
  what: string,
): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  t.truthy(error, `${what} was allowed`);
  t.true(
    kafkaErrorTypes(error).includes(type),
    `${what}: ${String(error)} (${kafkaErrorTypes(error).join(", ")})`,
  );
}

function brokerLog(harness: Harness<"kafka">): string {
  const broker = harness.processes.find((managed) => managed.service === "kafka");
  return broker ? readFileSync(broker.logPath, "utf8") : "";
}

for (const mode of ["zookeeper", "kraft"] as const) {
  test.serial(`${mode}: a client without credentials is refused at the SASL handshake`, async (t) => {
    const { harness } = await secured(mode);
    const admin = client(harness, null).admin();
    const error = await t.throwsAsync(async () => {
      await admin.connect();
      await admin.listTopics();
    });
    await admin.disconnect().catch(() => undefined);
    t.regex(error?.name ?? "", /^KafkaJS/);
    t.regex(
      brokerLog(harness),
      /Failed authentication with \/127\.0\.0\.1 .*\(Unexpected Kafka request of type METADATA during SASL handshake\.\)/,
    );
  });

  test.serial(
    `${mode}: a wrong password, an unknown user and another principal's password are refused`,
    async (t) => {
      const { harness } = await secured(mode);
      const attempts = {
        "wrong password": { username: "producer", password: "not-the-password" },
        "unknown user": { username: "intruder", password: harness.kafka.principals.producer.password },
        "another principal's password": {
          username: "streaming-job",
          password: harness.kafka.principals.producer.password,
        },
      };
      for (const [what, login] of Object.entries(attempts)) {
        const admin = client(harness, { mechanism: "scram-sha-512", ...login }).admin();
        const error = await t.throwsAsync(admin.connect(), undefined, what);
        t.is(error?.name, "KafkaJSSASLAuthenticationError", what);
        t.is(
          error?.message,
          "SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
          what,
        );
      }
    },
  );

  test.serial(
    `${mode}: the producer writes the users topic and cannot read it, nor touch the DLQ`,
    async (t) => {
      const { harness, acls } = await secured(mode);
      const kafka = harness.kafka;
      await t.notThrowsAsync(send(client(harness, "producer"), acls.usersTopic, "from-producer"));
      await refused(
        t,
        send(client(harness, "producer"), acls.deadLetterTopic, "x"),
        "TOPIC_AUTHORIZATION_FAILED",
        "producer writes the DLQ",
      );
      const byPartition = await consoleRead(kafka, "producer", acls.usersTopic, { partition: 0 });
      t.regex(byPartition.output, /TopicAuthorizationException: Not authorized to access topics: \[users_/);
      const inGroup = await consoleRead(kafka, "producer", acls.usersTopic, {
        group: `${defaultJobGroupPrefix}-p`,
      });
      t.regex(inGroup.output, /GroupAuthorizationException: Not authorized to access group: users-stream-p/);
      const deadLetters = await consoleRead(kafka, "producer", acls.deadLetterTopic, { partition: 0 });
      t.regex(
        deadLetters.output,
        /TopicAuthorizationException: Not authorized to access topics: \[users_\w+\.dlq\]/,
      );
      for (const read of [byPartition, inGroup, deadLetters])
        t.regex(read.output, /Processed a total of 0 messages/);
    },
  );

  test.serial(
    `${mode}: the streaming job reads the users topic in its groups and writes the DLQ, never the users topic`,
    async (t) => {
      const { harness, acls } = await secured(mode);
      const kafka = harness.kafka;
      const byPartition = await consoleRead(kafka, "streaming-job", acls.usersTopic, { partition: 0 });
      t.regex(byPartition.output, /^seed$/m);
      t.regex(byPartition.output, /Processed a total of 1 messages/);
      const inGroup = await consoleRead(kafka, "streaming-job", acls.usersTopic, {
        group: `${defaultJobGroupPrefix}-${mode}-query`,
      });
      t.regex(inGroup.output, /Processed a total of 1 messages/);
      const otherGroup = await consoleRead(kafka, "streaming-job", acls.usersTopic, {
        group: "someone-else",
      });
      t.regex(otherGroup.output, /GroupAuthorizationException: Not authorized to access group: someone-else/);
      await refused(
        t,
        send(client(harness, "streaming-job"), acls.usersTopic, "x"),
        "TOPIC_AUTHORIZATION_FAILED",
        "streaming job writes the users topic",
      );
      await t.notThrowsAsync(send(client(harness, "streaming-job"), acls.deadLetterTopic, "dead-letter"));
    },
  );

  test.serial(`${mode}: Airflow's principal describes the users topic and nothing else`, async (t) => {
    const { harness, acls } = await secured(mode);
    const admin = client(harness, "airflow").admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [acls.usersTopic] });
      t.deepEqual(
        topics.map((topic) => [topic.name, topic.partitions.length]),
        [[acls.usersTopic, 1]],
      );
      await refused(
        t,
        admin.fetchTopicMetadata({ topics: [acls.deadLetterTopic] }),
        "TOPIC_AUTHORIZATION_FAILED",
        "airflow describes the DLQ",
      );
    } finally {
      await admin.disconnect();
    }
    await refused(
      t,
      send(client(harness, "airflow"), acls.usersTopic, "x"),
      "TOPIC_AUTHORIZATION_FAILED",
      "airflow writes the users topic",
    );
    const read = await consoleRead(harness.kafka, "airflow", acls.usersTopic, { partition: 0 });
    t.regex(read.output, /TopicAuthorizationException: Not authorized to access topics: \[users_/);
  });

  test.serial(`${mode}: the topic job creates its managed topics only, and deletes none`, async (t) => {
    const { harness, jobTopic } = await secured(mode);
    const admin = client(harness, "topic-job").admin();
    await admin.connect();
    try {
      t.true(
        await admin.createTopics({ topics: [{ topic: jobTopic, numPartitions: 2 }], waitForLeaders: true }),
      );
      const unmanaged = harness.uniqueName("unmanaged");
      await refused(
        t,
        admin.createTopics({ topics: [{ topic: unmanaged }] }),
        "TOPIC_AUTHORIZATION_FAILED",
        "topic job creates an unmanaged topic",
      );
      await refused(
        t,
        admin.deleteTopics({ topics: [jobTopic] }),
        "TOPIC_AUTHORIZATION_FAILED",
        "topic job deletes",
      );
    } finally {
      await admin.disconnect();
    }
    const listing = client(harness, "admin").admin();
    await listing.connect();
    try {
      const topics = await listing.listTopics();
      t.true(topics.includes(jobTopic));
      t.false(topics.some((topic) => topic.startsWith("unmanaged_")));
    } finally {
      await listing.disconnect();
    }
  });
}
