import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { versions } from "../../../components/versions";
import { adminPrincipal } from "../../../components/kafka-security";
import { defineService, freePorts, loopback, resolveMaven, runToCompletion, startJavaProcess } from "../lib";
import type { ServiceContext } from "../lib";
import { kafkaJvmFlags, kafkaRuntime, writeLog4jConfig, writeProperties } from "./kafka-common";
import type { KafkaCredentials, KafkaSecurity, KafkaTools } from "./kafka-auth";
import {
  authenticates,
  bootstrapAdminInZooKeeper,
  clientListener,
  createPipelinePrincipals,
  generatePassword,
  harnessBrokerSecurity,
  kraftAdminScramArguments,
} from "./kafka-auth";
import type { ZooKeeperEndpoint } from "./zookeeper";

/**
 * Where the Kafka broker listens and who may log in: SASL_PLAINTEXT with SCRAM-SHA-512 and the ACL
 * authorizer, as the product runs it. `admin` is the super user; each pipeline principal starts
 * with no ACL (`harness.grant(...)` gives it the pipeline's); `kafkaClientConfig(endpoint, name)`
 * makes a kafkajs client of either.
 */
export interface KafkaEndpoint extends KafkaSecurity {
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

/**
 * Kafka broker (versions.json, harness.kafka) from Maven Central, with ZooKeeper or in KRaft mode,
 * secured as the product is; ready once the admin logs in and gets metadata, and every pipeline
 * principal exists and logs in.
 */
export const kafkaService = defineService<KafkaEndpoint>({
  name: "kafka",
  description: `Apache Kafka ${versions.harness.kafka} broker, SASL/SCRAM-SHA-512 + ACLs (ZooKeeper mode, or KRaft with --kraft)`,
  dependencies: (options) => (options.kraft ? [] : ["zookeeper"]),
  prepare: async () => void (await resolveMaven("kafka")),
  async start(context) {
    const { classpath, java } = await kafkaRuntime("kafka");
    const tools: KafkaTools = { java, classpath, stateDir: context.stateDir, logDir: context.logDir };
    const [port = 0, controllerPort = 0] = await freePorts(2);
    const kraft = context.options.kraft;
    const bootstrap = `${loopback}:${port}`;
    const admin: KafkaCredentials = { username: adminPrincipal, password: generatePassword() };
    const configPath = join(context.stateDir, "server.properties");
    const zookeeper = kraft ? undefined : context.dependency<ZooKeeperEndpoint>("zookeeper").connect;
    writeProperties(configPath, {
      ...singleBrokerProperties(context.dataDir),
      ...(kraft ? kraftProperties(port, controllerPort) : zookeeperProperties(port, zookeeper ?? "")),
      ...harnessBrokerSecurity(kraft ? "kraft" : "zookeeper", admin.password),
    });
    const log4j = writeLog4jConfig(context.stateDir);
    if (kraft) await formatStorage(context, classpath, java.executable, configPath, log4j, admin.password);
    else await bootstrapAdminInZooKeeper(tools, zookeeper ?? "", admin.password);
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
      readiness: () => brokerAnswers(bootstrap, admin),
      readinessTimeoutMs: 90_000,
    });
    let principals;
    try {
      principals = await createPipelinePrincipals(tools, { bootstrap, admin });
    } catch (error) {
      await broker.stop(2_000);
      throw error;
    }
    const endpoint: KafkaEndpoint = {
      bootstrap,
      mode: kraft ? "kraft" : "zookeeper",
      ...(zookeeper ? { zookeeper } : {}),
      admin,
      principals,
    };
    return { endpoint, processes: [broker] };
  },
});

/** ZooKeeper mode: one SASL_PLAINTEXT listener for clients and the broker itself. */
function zookeeperProperties(port: number, zookeeper: string): Record<string, string | number> {
  return {
    "broker.id": 0,
    listeners: `${clientListener}://${loopback}:${port}`,
    "advertised.listeners": `${clientListener}://${loopback}:${port}`,
    "listener.security.protocol.map": `${clientListener}:SASL_PLAINTEXT`,
    "inter.broker.listener.name": clientListener,
    "zookeeper.connect": zookeeper,
    "zookeeper.connection.timeout.ms": 18000,
  };
}

/** KRaft: the client listener as in ZooKeeper mode, and the controller listener (SASL_PLAINTEXT, PLAIN). */
function kraftProperties(port: number, controllerPort: number): Record<string, string | number> {
  return {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@${loopback}:${controllerPort}`,
    listeners: `${clientListener}://${loopback}:${port},CONTROLLER://${loopback}:${controllerPort}`,
    "advertised.listeners": `${clientListener}://${loopback}:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": clientListener,
    "listener.security.protocol.map": `${clientListener}:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT`,
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

/**
 * The `kafka-storage format` step of KRaft: a fresh cluster id and the admin's SCRAM credential
 * (`--add-scram`) written into the log dir.
 */
async function formatStorage(
  context: ServiceContext,
  classpath: readonly string[],
  javaExecutable: string,
  configPath: string,
  log4j: string,
  adminPassword: string,
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
      ...kraftAdminScramArguments(adminPassword),
    ],
    timeoutMs: 120_000,
  });
}

/** True once `credentials` log in and the broker answers a metadata request with itself in the cluster. */
export function brokerAnswers(bootstrap: string, credentials: KafkaCredentials): Promise<boolean> {
  return authenticates(bootstrap, credentials);
}
