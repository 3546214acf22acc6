/**
 * Kafka: N brokers (cp-kafka image), in ZooKeeper mode by default or KRaft (combined broker and
 * controller) as an option. Listeners derive from one endpoint contract, see {@link listenersFor}.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  brokerSecurityEnvironment,
  brokerStartScript,
  clientListenerNames,
  kafkaCredentials,
  scramPassword,
  securityProtocolOf,
} from "./kafka-authentication";
import type { KafkaAuthentication, KafkaCredentials } from "./kafka-security";
import { adminPrincipal, kafkaAuthentications, kafkaUserSecretName } from "./kafka-security";
import type { EnvironmentValue, ReplicaIdentity, ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { confluentEntrypoint, confluentImage, confluentPlatformVersion, confluentUser } from "./versions";
import type { ZooKeeper } from "./zookeeper";

/** Listener ports inside the container. */
export const kafkaPorts = {
  /** In-network clients and inter-broker traffic; advertised as the broker's own service name. */
  internal: 9092,
  /** KRaft controller quorum. */
  controller: 9093,
  /** Host clients on Docker; advertised as `localhost:<published port>`. */
  host: 9094,
} as const;

/** Kafka's metadata mode. */
export type KafkaMode = "zookeeper" | "kraft";

/** Arguments of {@link Kafka}. */
export interface KafkaArgs {
  readonly target: Target;
  /** Number of brokers. @default 1 */
  readonly brokers?: number;
  /** Metadata mode. @default "zookeeper" */
  readonly mode?: KafkaMode;
  /** The ensemble to register with; required in ZooKeeper mode. */
  readonly zookeeper?: ZooKeeper;
  /** Confluent Platform version of the image. @default confluentPlatformVersion */
  readonly version?: string;
  /** Service name (network alias / Kubernetes Service). @default "kafka" */
  readonly serviceName?: string;
  /** First host port for host clients (broker i publishes hostPort + i); only where the target publishes. @default undefined (no host listener) */
  readonly hostPort?: number;
  /** Default replication factor of new topics. @default min(3, brokers) */
  readonly defaultReplicationFactor?: number;
  /** min.insync.replicas. @default max(1, min(2, brokers - 1)) */
  readonly minInsyncReplicas?: number;
  /** Size of each broker's log volume. @default "20Gi" */
  readonly storageSize?: string;
  /** Memory limit per broker in MiB; the JVM heap gets half. @default 1536 */
  readonly memoryMiB?: number;
  /** CPU limit per broker in cores. @default 1 */
  readonly cpu?: number;
  /**
   * `scram-sha-512`: every listener authenticates with SASL/SCRAM-SHA-512 (KRaft's controller
   * listener with PLAIN), the ACL authorizer is on with no "allow everyone" fallback, and a
   * generated admin credential is the only super user; clients need a {@link KafkaUser}. `none`:
   * plaintext without authentication or authorization, for a quick local try.
   * @default "scram-sha-512"
   */
  readonly authentication?: KafkaAuthentication;
}

/** The inputs of the endpoint contract for one broker. */
export interface ListenerInputs {
  readonly replica: ReplicaIdentity;
  readonly mode: KafkaMode;
  /** Host port of this broker when the target publishes one. */
  readonly hostPort?: number;
  /** SASL on every listener (`scram-sha-512`) or none. @default "none" */
  readonly authentication?: KafkaAuthentication;
}

/** listeners, advertised.listeners and the protocol map of one broker. */
export interface ListenerSettings {
  readonly listeners: string;
  readonly advertisedListeners: string;
  readonly securityProtocolMap: string;
}

/**
 * The endpoint contract: in-network clients get the broker's service name; host clients (Docker only)
 * get `localhost:<published port>` on a listener of their own; the KRaft controller is never advertised.
 */
export function listenersFor(inputs: ListenerInputs): ListenerSettings {
  const protocol = securityProtocolOf(inputs.authentication ?? "none");
  const listeners = [`INTERNAL://0.0.0.0:${kafkaPorts.internal}`];
  const advertised = [`INTERNAL://${inputs.replica.host}:${kafkaPorts.internal}`];
  const protocols = [`INTERNAL:${protocol}`];
  if (inputs.hostPort !== undefined) {
    listeners.push(`HOST://0.0.0.0:${kafkaPorts.host}`);
    advertised.push(`HOST://localhost:${inputs.hostPort}`);
    protocols.push(`HOST:${protocol}`);
  }
  if (inputs.mode === "kraft") {
    listeners.push(`CONTROLLER://0.0.0.0:${kafkaPorts.controller}`);
    protocols.push(`CONTROLLER:${protocol}`);
  }
  return {
    listeners: listeners.join(","),
    advertisedListeners: advertised.join(","),
    securityProtocolMap: protocols.join(","),
  };
}

/** In-network bootstrap servers: every broker by its stable name. */
export function bootstrapServersFor(target: Target, serviceName: string, brokers: number): string {
  return Array.from(
    { length: brokers },
    (_, i) => `${target.replicaHost(serviceName, i)}:${kafkaPorts.internal}`,
  ).join(",");
}

/** Host bootstrap servers (`localhost:<port>` per broker), or undefined when nothing is published. */
export function hostBootstrapServersFor(
  target: Target,
  hostPort: number | undefined,
  brokers: number,
): string | undefined {
  if (!target.publishesHostPorts || hostPort === undefined) return undefined;
  return Array.from({ length: brokers }, (_, i) => `localhost:${hostPort + i}`).join(",");
}

/** Resolved settings the environment is computed from. */
export interface KafkaSettings {
  readonly brokers: number;
  readonly mode: KafkaMode;
  readonly serviceName: string;
  readonly hostPort: number | undefined;
  readonly defaultReplicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly memoryMiB: number;
  /** ZooKeeper connect string (ZooKeeper mode). */
  readonly zookeeperConnect?: string;
  /** KRaft cluster id. */
  readonly clusterId?: pulumi.Input<string>;
  /** SASL/SCRAM with ACLs, or none. @default "none" */
  readonly authentication?: KafkaAuthentication;
  /** The admin's credentials (their Secret and password); required with SCRAM. */
  readonly admin?: { readonly secretName: string; readonly password: pulumi.Input<string> };
}

/** The cp-kafka environment of every broker. */
export function kafkaEnvironment(target: Target, settings: KafkaSettings): Record<string, EnvironmentValue> {
  const heap = Math.max(256, Math.floor(settings.memoryMiB / 2));
  const hostPort = target.publishesHostPorts ? settings.hostPort : undefined;
  const listenersOf = (replica: ReplicaIdentity) =>
    listenersFor({
      replica,
      mode: settings.mode,
      authentication: settings.authentication ?? "none",
      ...(hostPort !== undefined ? { hostPort: replica.publishedPort("host") ?? hostPort } : {}),
    });
  const internalReplication = Math.min(3, settings.brokers);
  const env: Record<string, EnvironmentValue> = {
    KAFKA_LISTENERS: { perReplica: (replica) => listenersOf(replica).listeners },
    KAFKA_ADVERTISED_LISTENERS: { perReplica: (replica) => listenersOf(replica).advertisedListeners },
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: {
      perReplica: (replica) => listenersOf(replica).securityProtocolMap,
    },
    KAFKA_INTER_BROKER_LISTENER_NAME: "INTERNAL",
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
    KAFKA_DEFAULT_REPLICATION_FACTOR: String(settings.defaultReplicationFactor),
    KAFKA_MIN_INSYNC_REPLICAS: String(settings.minInsyncReplicas),
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: String(internalReplication),
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: String(internalReplication),
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: String(Math.min(2, internalReplication)),
    KAFKA_LOG_DIRS: "/var/lib/kafka/data",
    KAFKA_HEAP_OPTS: `-Xms${heap}m -Xmx${heap}m`,
  };
  if (settings.mode === "zookeeper") {
    if (!settings.zookeeperConnect)
      throw new Error("Unable to configure Kafka: ZooKeeper mode needs a ZooKeeper connect string.");
    env["KAFKA_BROKER_ID"] = { perReplica: (replica) => replica.ordinal };
    env["KAFKA_ZOOKEEPER_CONNECT"] = settings.zookeeperConnect;
  } else {
    if (settings.clusterId === undefined)
      throw new Error("Unable to configure Kafka: KRaft mode needs a cluster id.");
    const voters = Array.from(
      { length: settings.brokers },
      (_, i) => `${i}@${target.replicaHost(settings.serviceName, i)}:${kafkaPorts.controller}`,
    ).join(",");
    env["KAFKA_NODE_ID"] = { perReplica: (replica) => replica.ordinal };
    env["KAFKA_PROCESS_ROLES"] = "broker,controller";
    env["KAFKA_CONTROLLER_LISTENER_NAMES"] = "CONTROLLER";
    env["KAFKA_CONTROLLER_QUORUM_VOTERS"] = voters;
    env["CLUSTER_ID"] = settings.clusterId;
  }
  if ((settings.authentication ?? "none") === "scram-sha-512") {
    if (!settings.admin)
      throw new Error("Unable to configure Kafka: SASL/SCRAM needs the admin's credentials.");
    Object.assign(
      env,
      brokerSecurityEnvironment(settings.mode, clientListenerNames(hostPort !== undefined), settings.admin),
    );
  }
  return env;
}

/** Why resolved Kafka arguments cannot be deployed, with how to fix it; undefined when they can. */
export function kafkaArgsProblem(resolved: {
  readonly brokers: number;
  readonly defaultReplicationFactor: number;
  readonly authentication: string;
  readonly mode: KafkaMode;
  readonly args: Pick<KafkaArgs, "zookeeper">;
}): string | undefined {
  const { brokers, defaultReplicationFactor, authentication, mode } = resolved;
  if (!Number.isInteger(brokers) || brokers < 1) {
    return `brokers ${brokers} is not allowed. Use an integer >= 1.`;
  }
  if (defaultReplicationFactor > brokers) {
    return `defaultReplicationFactor ${defaultReplicationFactor} exceeds brokers ${brokers}. Lower it or add brokers.`;
  }
  if (!(kafkaAuthentications as readonly string[]).includes(authentication)) {
    return `authentication "${authentication}" is not allowed. Use ${kafkaAuthentications.map((value) => `"${value}"`).join(" or ")}.`;
  }
  if (mode === "zookeeper" && !resolved.args.zookeeper) {
    return 'ZooKeeper mode needs `zookeeper`. Pass one or use mode "kraft".';
  }
  return undefined;
}

/** A Kafka cluster. */
export class Kafka extends pulumi.ComponentResource {
  /** In-network bootstrap servers (every broker by service name), never a localhost address. */
  public readonly bootstrapServers: string;
  /**
   * The brokers behind one stable in-network name (the Service / network alias every broker
   * answers, as Strimzi's bootstrap service): for a client whose settings sit in a Secret, so that a
   * broker added changes no Secret (a Secret's data change replaces it).
   */
  public readonly bootstrapService: string;
  /** Host bootstrap servers on Docker (`localhost:<port>`), undefined where nothing is published. */
  public readonly hostBootstrapServers: string | undefined;
  /** Number of brokers. */
  public readonly brokers: number;
  /** Metadata mode. */
  public readonly mode: KafkaMode;
  /** Confluent version (topic jobs run the same image's tools). */
  public readonly version: string;
  /** The deployed workload, for start ordering. */
  public readonly workload: Workload;
  /** The neutral spec this component rendered. */
  public readonly spec: ServiceSpec;
  /** The service name (the Secrets of its principals are named after it). */
  public readonly serviceName: string;
  /** SASL/SCRAM with ACLs, or none. */
  public readonly authentication: KafkaAuthentication;
  /** What clients set as `security.protocol`. */
  public readonly securityProtocol: "SASL_PLAINTEXT" | "PLAINTEXT";
  /** The super user's generated password (secret); undefined without authentication. */
  public readonly adminPassword: pulumi.Output<string> | undefined;
  /**
   * The super user's credentials as secret references (its Secret `<service>-user-admin`), for jobs
   * that manage users and ACLs ({@link KafkaUser}); undefined without authentication.
   */
  public readonly adminCredentials: KafkaCredentials | undefined;

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:kafka:Kafka", name, {}, opts);
    const authentication = args.authentication ?? "scram-sha-512";
    const brokers = args.brokers ?? 1;
    const mode = args.mode ?? "zookeeper";
    const version = args.version ?? confluentPlatformVersion;
    const serviceName = args.serviceName ?? "kafka";
    const defaultReplicationFactor = args.defaultReplicationFactor ?? Math.min(3, brokers);
    const minInsyncReplicas = args.minInsyncReplicas ?? Math.max(1, Math.min(2, brokers - 1));
    const storageSize = args.storageSize ?? "20Gi";
    const memoryMiB = args.memoryMiB ?? 1536;
    const cpu = args.cpu ?? 1;
    const problem = kafkaArgsProblem({ brokers, defaultReplicationFactor, authentication, mode, args });
    if (problem) throw new pulumi.ResourceError(`Unable to create Kafka ${name}: ${problem}`, this);
    this.brokers = brokers;
    this.mode = mode;
    this.version = version;
    this.serviceName = serviceName;
    this.authentication = authentication;
    this.securityProtocol = securityProtocolOf(authentication);
    const adminSecretName = kafkaUserSecretName(serviceName, adminPrincipal);
    this.adminPassword =
      authentication === "scram-sha-512" ? scramPassword(`${name}-admin-password`, this) : undefined;
    this.bootstrapServers = bootstrapServersFor(args.target, serviceName, brokers);
    this.bootstrapService = `${args.target.serviceHost(serviceName)}:${kafkaPorts.internal}`;
    this.hostBootstrapServers = hostBootstrapServersFor(args.target, args.hostPort, brokers);
    const clusterId =
      mode === "kraft"
        ? new random.RandomId(`${name}-cluster-id`, { byteLength: 16 }, { parent: this }).b64Url
        : undefined;
    const publishHost = args.target.publishesHostPorts && args.hostPort !== undefined;
    this.spec = {
      name: serviceName,
      component: "kafka",
      image: confluentImage("cp-kafka", version),
      entrypoint: confluentEntrypoint,
      ...(authentication === "scram-sha-512" ? { command: ["bash", "-c", brokerStartScript(mode)] } : {}),
      replicas: brokers,
      stateful: true,
      env: kafkaEnvironment(args.target, {
        brokers,
        mode,
        serviceName,
        hostPort: args.hostPort,
        defaultReplicationFactor,
        minInsyncReplicas,
        memoryMiB,
        ...(args.zookeeper ? { zookeeperConnect: args.zookeeper.connectString } : {}),
        ...(clusterId ? { clusterId } : {}),
        authentication,
        ...(this.adminPassword
          ? { admin: { secretName: adminSecretName, password: this.adminPassword } }
          : {}),
      }),
      ports: [
        { name: "internal", containerPort: kafkaPorts.internal },
        ...(mode === "kraft" ? [{ name: "controller", containerPort: kafkaPorts.controller }] : []),
        ...(publishHost
          ? [
              {
                name: "host",
                containerPort: kafkaPorts.host,
                publish: { hostPort: args.hostPort as number, perReplica: true },
              },
            ]
          : []),
      ],
      volumes: [{ name: "data", mountPath: "/var/lib/kafka/data", size: storageSize }],
      healthCheck: { probe: { kind: "tcp", port: kafkaPorts.internal }, startPeriodSeconds: 60 },
      resources: {
        cpuRequest: cpu / 2,
        cpuLimit: cpu,
        memoryRequestMiB: memoryMiB,
        memoryLimitMiB: memoryMiB,
      },
      runAs: confluentUser,
      // Brokers replicate from each other on the internal listener; in KRaft mode they also reach the
      // controller quorum (every broker is a controller here).
      connectsTo: [
        {
          service: serviceName,
          ports: mode === "kraft" ? [kafkaPorts.internal, kafkaPorts.controller] : [kafkaPorts.internal],
        },
      ],
      ...(args.zookeeper ? { dependsOn: [{ workload: args.zookeeper.workload }] } : {}),
    };
    this.workload = args.target.deployService(this.spec, this);
    // The admin's credential exists once the brokers run (their start script writes it).
    this.adminCredentials = this.adminPassword
      ? kafkaCredentials(adminSecretName, adminPrincipal, this.adminPassword, this.workload)
      : undefined;
    this.registerOutputs({
      bootstrapServers: this.bootstrapServers,
      hostBootstrapServers: this.hostBootstrapServers,
      authentication: this.authentication,
      adminPassword: this.adminPassword,
    });
  }
}
