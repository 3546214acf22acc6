/**
 * Helpers of the producer e2e tests: a principal's login for the producer CLI, read a whole topic
 * back (as the admin: the test's oracle, not a pipeline workload), and stop/restart the harness
 * broker in place (same port, same data directory).
 */
import { join } from "node:path";
import type { KafkaMessage } from "kafkajs";
import { Kafka, logLevel } from "kafkajs";
import type { PipelinePrincipal } from "../../components/kafka-security";
import { kafkaClientConfig } from "../harness";
import type { KafkaSecurity } from "../harness";
import type { ManagedProcess } from "../harness/lib";
import { runDirectory, runLogDirectory, startJavaProcess } from "../harness/lib";
import { brokerAnswers } from "../harness/services/kafka";
import type { KafkaEndpoint } from "../harness/services/kafka";
import { kafkaJvmFlags, kafkaRuntime, writeLog4jConfig } from "../harness/services/kafka-common";

/**
 * The producer CLI's login as `principal` (the producer's own by default): PRODUCER_SASL_USERNAME
 * and PRODUCER_SASL_PASSWORD, for its environment (a password is never a flag).
 */
export function producerLogin(
  kafka: KafkaSecurity,
  principal: PipelinePrincipal = "producer",
): { PRODUCER_SASL_USERNAME: string; PRODUCER_SASL_PASSWORD: string } {
  const login = kafka.principals[principal];
  return { PRODUCER_SASL_USERNAME: login.username, PRODUCER_SASL_PASSWORD: login.password };
}

/** A kafkajs client logged in as `principal` (e.g. a test writing malformed records as the producer). */
export function kafkaAs(kafka: KafkaSecurity, principal: PipelinePrincipal | "admin"): Kafka {
  return new Kafka({
    clientId: `e2e-${principal}`,
    ...kafkaClientConfig(kafka, principal),
    logLevel: logLevel.NOTHING,
  });
}

/**
 * Every message of a topic, read from the beginning up to the high watermarks at call time, as the
 * admin.
 */
export async function readTopic(
  security: KafkaSecurity,
  topic: string,
  timeoutMs = 180_000,
): Promise<KafkaMessage[]> {
  const kafka = new Kafka({
    clientId: "producer-e2e-reader",
    ...kafkaClientConfig(security, "admin"),
    logLevel: logLevel.ERROR,
  });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const expected = offsets.reduce(
    (sum, partition) => sum + Number(partition.high) - Number(partition.low),
    0,
  );
  const messages: KafkaMessage[] = [];
  if (expected === 0) return messages;
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}`, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${messages.length} of ${expected} messages of ${topic}`)),
        timeoutMs,
      );
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          messages.push(...batch.messages);
          if (messages.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** The keys (user ids) of messages, as strings. */
export function keysOf(messages: readonly KafkaMessage[]): string[] {
  return messages.map((message) => message.key?.toString() ?? "");
}

/**
 * Stops the harness broker of `run` (SIGTERM: a controlled shutdown) and returns a function that
 * starts it again with the same configuration, port and data, resolving once the admin logs in.
 */
export async function stopBroker(
  run: string,
  broker: ManagedProcess,
  kafka: KafkaEndpoint,
): Promise<() => Promise<ManagedProcess>> {
  const bootstrap = kafka.bootstrap;
  await broker.stop();
  return async () => {
    const stateDir = join(runDirectory(run), "kafka");
    const { classpath, java } = await kafkaRuntime("kafka");
    const port = Number(bootstrap.split(":").at(-1));
    return startJavaProcess({
      service: "kafka",
      name: "kafka-restarted",
      stateDir,
      logDir: runLogDirectory(run),
      java,
      classpath,
      mainClass: "kafka.Kafka",
      jvmArgs: ["-Xmx512m", ...kafkaJvmFlags, writeLog4jConfig(stateDir)],
      args: [join(stateDir, "server.properties")],
      ports: [port],
      readiness: () => brokerAnswers(bootstrap, kafka.admin),
      readinessTimeoutMs: 90_000,
    });
  };
}
