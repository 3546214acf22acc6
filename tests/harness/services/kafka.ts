import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { versions } from "../../../components/versions";
import { defineService, freePorts, loopback, resolveMaven, runToCompletion, startJavaProcess } from "../lib";
import type { ServiceContext } from "../lib";
import { kafkaJvmFlags, kafkaRuntime, writeLog4jConfig, writeProperties } from "./kafka-common";
import type { ZooKeeperEndpoint } from "./zookeeper";

/** Where the Kafka broker listens (PLAINTEXT, no credentials). */
export interface KafkaEndpoint {
  /** `127.0.0.1:<port>`: kafkajs `brokers`, Spark's `kafka.bootstrap.servers`. */
  readonly bootstrap: string;
  /** `zookeeper` or `kraft` (combined broker + controller). */
  readonly mode: "zookeeper" | "kraft";
  /** ZooKeeper connect string in ZooKeeper mode. */
  readonly zookeeper?: string;
}

/** Broker settings shared by both modes: one broker, no auto-created topics, tiny internal topics. */
export function singleBrokerProperties(dataDirectory: string): Record<string, string | number | boolean> {
  return {
    "log.dirs": join(dataDirectory, "kafka-logs"),
    "auto.create.topics.enable": false,
    "num.partitions": 1,
    "default.replication.factor": 1,
    "min.insync.replicas": 1,
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 1,
    "group.initial.rebalance.delay.ms": 0,
    "num.network.threads": 2,
    "num.io.threads": 2,
    "log.flush.interval.messages": 10000,
    "delete.topic.enable": true,
  };
}

/** Kafka broker (versions.json, harness.kafka) from Maven Central, with ZooKeeper or in KRaft mode; readiness by a metadata request. */
export const kafkaService = defineService<KafkaEndpoint>({
  name: "kafka",
  description: `Apache Kafka ${versions.harness.kafka} broker (ZooKeeper mode, or KRaft with --kraft)`,
  dependencies: (options) => (options.kraft ? [] : ["zookeeper"]),
  prepare: async () => void (await resolveMaven("kafka")),
  async start(context) {
    const { classpath, java } = await kafkaRuntime("kafka");
    const [port = 0, controllerPort = 0] = await freePorts(2);
    const kraft = context.options.kraft;
    const configPath = join(context.stateDir, "server.properties");
    const zookeeper = kraft ? undefined : context.dependency<ZooKeeperEndpoint>("zookeeper").connect;
    writeProperties(configPath, {
      ...singleBrokerProperties(context.dataDir),
      ...(kraft ? kraftProperties(port, controllerPort) : zookeeperProperties(port, zookeeper ?? "")),
    });
    const log4j = writeLog4jConfig(context.stateDir);
    if (kraft) await formatStorage(context, classpath, java.executable, configPath, log4j);
    const broker = await startJavaProcess({
      service: "kafka",
      stateDir: context.stateDir,
      logDir: context.logDir,
      java,
      classpath,
      mainClass: "kafka.Kafka",
      jvmArgs: ["-Xmx512m", ...kafkaJvmFlags, log4j],
      args: [configPath],
      ports: kraft ? [port, controllerPort] : [port],
      readiness: () => brokerAnswers(`${loopback}:${port}`),
      readinessTimeoutMs: 90_000,
    });
    const endpoint: KafkaEndpoint = {
      bootstrap: `${loopback}:${port}`,
      mode: kraft ? "kraft" : "zookeeper",
      ...(zookeeper ? { zookeeper } : {}),
    };
    return { endpoint, processes: [broker] };
  },
});

function zookeeperProperties(port: number, zookeeper: string): Record<string, string | number> {
  return {
    "broker.id": 0,
    listeners: `PLAINTEXT://${loopback}:${port}`,
    "advertised.listeners": `PLAINTEXT://${loopback}:${port}`,
    "zookeeper.connect": zookeeper,
    "zookeeper.connection.timeout.ms": 18000,
  };
}

function kraftProperties(port: number, controllerPort: number): Record<string, string | number> {
  return {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@${loopback}:${controllerPort}`,
    listeners: `PLAINTEXT://${loopback}:${port},CONTROLLER://${loopback}:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${loopback}:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
  };
}

/**
 * A random KRaft cluster id: 16 random bytes in base64url, as `kafka-storage random-uuid` makes them,
 * and like Kafka's `Uuid.randomUuid()` never starting with "-" (1 in 64 would; the storage tool's
 * argument parser then takes the id for an option and fails with "--cluster-id/-t: expected one
 * argument", which broke a benchmark run here).
 */
export function kraftClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** The `kafka-storage format` step of KRaft: a fresh cluster id written into the log dir. */
async function formatStorage(
  context: ServiceContext,
  classpath: readonly string[],
  javaExecutable: string,
  configPath: string,
  log4j: string,
): Promise<void> {
  const clusterId = kraftClusterId();
  await runToCompletion({
    service: "kafka",
    name: "kafka-storage-format",
    logDir: context.logDir,
    command: javaExecutable,
    args: [
      "-Xmx256m",
      log4j,
      "-cp",
      classpath.join(":"),
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId,
      "-c",
      configPath,
    ],
    timeoutMs: 120_000,
  });
}

/** True once the broker answers a metadata request with itself in the cluster. */
export async function brokerAnswers(bootstrap: string): Promise<boolean> {
  const admin = new Kafka({
    clientId: "harness-readiness",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
