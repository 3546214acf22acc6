/**
 * ZooKeeper: the coordination service Kafka uses in ZooKeeper mode (cp-zookeeper image).
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentValue, ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { confluentEntrypoint, confluentImage, confluentPlatformVersion, confluentUser } from "./versions";

/** The client port every ZooKeeper server listens on. */
export const zookeeperClientPort = 2181;

/** Quorum ports: followers to the leader, and leader election. */
export const zookeeperPeerPorts = { peer: 2888, election: 3888 } as const;

/** Arguments of {@link ZooKeeper}. */
export interface ZooKeeperArgs {
  readonly target: Target;
  /** Ensemble size: 1, 3 or 5. @default 1 */
  readonly replicas?: number;
  /** Confluent Platform version of the image. @default confluentPlatformVersion */
  readonly version?: string;
  /** Service name (network alias / Kubernetes Service). @default "zookeeper" */
  readonly serviceName?: string;
  /** Size of each data and transaction-log volume. @default "5Gi" */
  readonly storageSize?: string;
  /** Memory limit per server in MiB; the JVM heap gets half. @default 512 */
  readonly memoryMiB?: number;
  /** CPU limit per server in cores. @default 0.5 */
  readonly cpu?: number;
}

/** `host0:2181,host1:2181,...` for the ensemble. */
export function zookeeperConnectString(target: Target, serviceName: string, replicas: number): string {
  return Array.from(
    { length: replicas },
    (_, i) => `${target.replicaHost(serviceName, i)}:${zookeeperClientPort}`,
  ).join(",");
}

/** The cp-zookeeper environment for an ensemble of `replicas` servers. */
export function zookeeperEnvironment(
  target: Target,
  serviceName: string,
  replicas: number,
  memoryMiB: number,
): Record<string, EnvironmentValue> {
  const heap = Math.max(128, Math.floor(memoryMiB / 2));
  const servers = Array.from(
    { length: replicas },
    (_, i) =>
      `${target.replicaHost(serviceName, i)}:${zookeeperPeerPorts.peer}:${zookeeperPeerPorts.election}`,
  ).join(";");
  return {
    ZOOKEEPER_CLIENT_PORT: String(zookeeperClientPort),
    ZOOKEEPER_TICK_TIME: "2000",
    ZOOKEEPER_INIT_LIMIT: "10",
    ZOOKEEPER_SYNC_LIMIT: "5",
    // Server ids start at 1; the ordinal is 0-based.
    ZOOKEEPER_SERVER_ID: { perReplica: (replica) => replica.offset(1) },
    ...(replicas > 1 ? { ZOOKEEPER_SERVERS: servers } : {}),
    KAFKA_HEAP_OPTS: `-Xms${heap}m -Xmx${heap}m`,
  };
}

/** A ZooKeeper ensemble. */
export class ZooKeeper extends pulumi.ComponentResource {
  /** In-network connect string (`zookeeper-0:2181`), never a localhost address. */
  public readonly connectString: string;
  /** The deployed workload, for start ordering. */
  public readonly workload: Workload;
  /** The service name. */
  public readonly serviceName: string;
  /** The neutral spec this component rendered (for inspection and tests). */
  public readonly spec: ServiceSpec;

  constructor(name: string, args: ZooKeeperArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:zookeeper:ZooKeeper", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const version = args.version ?? confluentPlatformVersion;
    const serviceName = args.serviceName ?? "zookeeper";
    const storageSize = args.storageSize ?? "5Gi";
    const memoryMiB = args.memoryMiB ?? 512;
    const cpu = args.cpu ?? 0.5;
    if (![1, 3, 5].includes(replicas)) {
      throw new pulumi.ResourceError(
        `Unable to create ZooKeeper ${name}: replicas ${replicas} is not allowed. Use 1, 3 or 5 (an odd quorum).`,
        this,
      );
    }
    this.serviceName = serviceName;
    this.connectString = zookeeperConnectString(args.target, serviceName, replicas);
    this.spec = {
      name: serviceName,
      component: "zookeeper",
      image: confluentImage("cp-zookeeper", version),
      entrypoint: confluentEntrypoint,
      replicas,
      stateful: true,
      env: zookeeperEnvironment(args.target, serviceName, replicas, memoryMiB),
      ports: [
        { name: "client", containerPort: zookeeperClientPort },
        { name: "peer", containerPort: zookeeperPeerPorts.peer },
        { name: "election", containerPort: zookeeperPeerPorts.election },
      ],
      volumes: [
        { name: "data", mountPath: "/var/lib/zookeeper/data", size: storageSize },
        { name: "log", mountPath: "/var/lib/zookeeper/log", size: storageSize },
      ],
      healthCheck: { probe: { kind: "tcp", port: zookeeperClientPort }, startPeriodSeconds: 30 },
      resources: {
        cpuRequest: cpu / 2,
        cpuLimit: cpu,
        memoryRequestMiB: memoryMiB,
        memoryLimitMiB: memoryMiB,
      },
      runAs: confluentUser,
      // Followers reach the leader on the peer port; every server votes on the election port.
      connectsTo: [{ service: serviceName, ports: [zookeeperPeerPorts.peer, zookeeperPeerPorts.election] }],
    };
    this.workload = args.target.deployService(this.spec, this);
    this.registerOutputs({ connectString: this.connectString });
  }
}
