/**
 * Cassandra: N nodes (official image) with seeds, heap sizing, PasswordAuthenticator, a persistent
 * volume per node, a health check, and a schema job that applies the keyspace and the users table
 * from the record contract before anything writes to it.
 *
 * Credentials: a generated admin superuser (the default `cassandra` role is disabled on first run) and
 * a generated application role for the streaming job, both Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { userCqlCreateTable } from "../contracts/users";
import {
  cassandraSchemaCql,
  cassandraSchemaScript,
  cassandraStartCommand,
  cassandraIntraNodePort,
  cassandraYaml,
  cassandraYamlTemplatePath,
} from "./cassandra-config";
import type { EnvironmentValue, JobSpec, ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { cassandraUser, cassandraVersion } from "./versions";

/** The CQL native transport port. */
export const cassandraNativePort = 9042;

/** Arguments of {@link Cassandra}. */
export interface CassandraArgs {
  readonly target: Target;
  /** Number of nodes. @default 1 */
  readonly nodes?: number;
  /** Cassandra 5.0.x image tag. @default cassandraVersion */
  readonly version?: string;
  /** Service name. @default "cassandra" */
  readonly serviceName?: string;
  /** Data center name (GossipingPropertyFileSnitch). @default "datacenter1" */
  readonly datacenter?: string;
  /** Keyspace of the pipeline's tables. @default "pipeline" */
  readonly keyspace?: string;
  /** The users table. @default "users" */
  readonly table?: string;
  /** Replication factor of the keyspace and system_auth. @default min(3, nodes) */
  readonly replicationFactor?: number;
  /** Size of each node's data volume. @default "20Gi" */
  readonly storageSize?: string;
  /** Memory limit per node in MiB; the heap gets half (at most 8 GiB), the young generation a quarter of the heap. @default 2048 */
  readonly memoryMiB?: number;
  /** CPU limit per node in cores. @default 1 */
  readonly cpu?: number;
  /** Host port of node 0's CQL port on Docker. @default undefined (not published) */
  readonly hostPort?: number;
}

/** Heap sizes for cassandra-env.sh from the container's memory. */
export function cassandraHeap(memoryMiB: number): { maxHeap: string; newHeap: string } {
  const heap = Math.min(8192, Math.max(256, Math.floor(memoryMiB / 2)));
  return { maxHeap: `${heap}M`, newHeap: `${Math.max(64, Math.floor(heap / 4))}M` };
}

/** Seeds: the first min(2, nodes) nodes by their stable names. */
export function cassandraSeeds(target: Target, serviceName: string, nodes: number): string {
  return Array.from({ length: Math.min(2, nodes) }, (_, i) => target.replicaHost(serviceName, i)).join(",");
}

/** The official image's environment. */
export function cassandraEnvironment(
  target: Target,
  serviceName: string,
  nodes: number,
  datacenter: string,
  memoryMiB: number,
): Record<string, EnvironmentValue> {
  const heap = cassandraHeap(memoryMiB);
  return {
    CASSANDRA_CLUSTER_NAME: "data-pipeline",
    CASSANDRA_SEEDS: cassandraSeeds(target, serviceName, nodes),
    CASSANDRA_DC: datacenter,
    CASSANDRA_RACK: "rack1",
    CASSANDRA_ENDPOINT_SNITCH: "GossipingPropertyFileSnitch",
    MAX_HEAP_SIZE: heap.maxHeap,
    HEAP_NEWSIZE: heap.newHeap,
  };
}

/** A Cassandra cluster with its schema applied. */
export class Cassandra extends pulumi.ComponentResource {
  /** In-network contact points (every node by stable name). */
  public readonly contactPoints: string;
  /** CQL port. */
  public readonly port = cassandraNativePort;
  /** Host contact point on Docker (`localhost:<port>`), undefined elsewhere. */
  public readonly hostContactPoint: string | undefined;
  public readonly datacenter: string;
  public readonly keyspace: string;
  public readonly table: string;
  /** The admin superuser's name. */
  public readonly adminUsername = "admin";
  /** The admin superuser's generated password (secret). */
  public readonly adminPassword: pulumi.Output<string>;
  /** The application role's name (used by the streaming job and the DAG checks). */
  public readonly appUsername = "pipeline";
  /** The application role's generated password (secret). */
  public readonly appPassword: pulumi.Output<string>;
  /** Name of the secret holding `admin-password` and `app-password` (shared by every workload that logs in). */
  public readonly credentialsSecret: string;
  /** The nodes. */
  public readonly workload: Workload;
  /** The schema job: writers start after it completed. */
  public readonly schemaJob: Workload;
  /** The neutral specs this component rendered. */
  public readonly spec: ServiceSpec;
  public readonly schemaJobSpec: JobSpec;

  constructor(name: string, args: CassandraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:cassandra:Cassandra", name, {}, opts);
    const nodes = args.nodes ?? 1;
    const version = args.version ?? cassandraVersion;
    const serviceName = args.serviceName ?? "cassandra";
    const datacenter = args.datacenter ?? "datacenter1";
    const keyspace = args.keyspace ?? "pipeline";
    const table = args.table ?? "users";
    const replicationFactor = args.replicationFactor ?? Math.min(3, nodes);
    const storageSize = args.storageSize ?? "20Gi";
    const memoryMiB = args.memoryMiB ?? 2048;
    const cpu = args.cpu ?? 1;
    if (!Number.isInteger(nodes) || nodes < 1) {
      throw new pulumi.ResourceError(
        `Unable to create Cassandra ${name}: nodes ${nodes} is not allowed. Use an integer >= 1.`,
        this,
      );
    }
    if (replicationFactor > nodes) {
      throw new pulumi.ResourceError(
        `Unable to create Cassandra ${name}: replicationFactor ${replicationFactor} exceeds nodes ${nodes}. Lower it or add nodes.`,
        this,
      );
    }
    this.datacenter = datacenter;
    this.keyspace = keyspace;
    this.table = table;
    this.contactPoints = Array.from({ length: nodes }, (_, i) =>
      args.target.replicaHost(serviceName, i),
    ).join(",");
    const publish = args.target.publishesHostPorts && args.hostPort !== undefined;
    this.hostContactPoint = publish ? `localhost:${args.hostPort}` : undefined;

    const password = (purpose: string) =>
      new random.RandomPassword(
        `${name}-${purpose}-password`,
        { length: 32, special: false },
        { parent: this },
      ).result;
    this.adminPassword = pulumi.secret(password("admin"));
    this.appPassword = pulumi.secret(password("app"));
    const credentials = `${serviceName}-credentials`;
    this.credentialsSecret = credentials;

    this.spec = {
      name: serviceName,
      component: "cassandra",
      image: `cassandra:${version}`,
      command: cassandraStartCommand,
      replicas: nodes,
      stateful: true,
      env: cassandraEnvironment(args.target, serviceName, nodes, datacenter, memoryMiB),
      configFiles: [
        {
          name: "cassandra.yaml",
          mountPath: cassandraYamlTemplatePath,
          content: cassandraYaml({ clusterName: "data-pipeline" }),
        },
      ],
      ports: [
        {
          name: "cql",
          containerPort: cassandraNativePort,
          ...(args.hostPort !== undefined ? { publish: { hostPort: args.hostPort } } : {}),
        },
        { name: "intra-node", containerPort: cassandraIntraNodePort },
      ],
      volumes: [{ name: "data", mountPath: "/var/lib/cassandra", size: storageSize }],
      healthCheck: {
        probe: { kind: "tcp", port: cassandraNativePort },
        intervalSeconds: 15,
        startPeriodSeconds: 180,
      },
      resources: {
        cpuRequest: cpu / 2,
        cpuLimit: cpu,
        memoryRequestMiB: memoryMiB,
        memoryLimitMiB: memoryMiB,
      },
      runAs: cassandraUser,
      connectsTo: [{ service: serviceName, ports: [cassandraIntraNodePort] }],
    };
    this.workload = args.target.deployService(this.spec, this);

    this.schemaJobSpec = {
      name: `${serviceName}-schema`,
      component: "cassandra-schema",
      image: `cassandra:${version}`,
      command: ["bash", "-c", cassandraSchemaScript],
      env: {
        CASSANDRA_HOST: args.target.replicaHost(serviceName, 0),
        CASSANDRA_PORT: String(cassandraNativePort),
        KEYSPACE: keyspace,
        TABLE: table,
        SCHEMA_FILE: "/schema/schema.cql",
        ADMIN_USERNAME: this.adminUsername,
        ADMIN_PASSWORD: {
          secret: { secretName: credentials, key: "admin-password", value: this.adminPassword },
        },
        APP_USERNAME: this.appUsername,
        APP_PASSWORD: { secret: { secretName: credentials, key: "app-password", value: this.appPassword } },
      },
      configFiles: [
        {
          name: "schema.cql",
          mountPath: "/schema/schema.cql",
          content: cassandraSchemaCql({
            keyspace,
            datacenter,
            replicationFactor,
            createTable: userCqlCreateTable({ keyspace, table }),
          }),
        },
      ],
      resources: { cpuRequest: 0.1, cpuLimit: 0.5, memoryRequestMiB: 256, memoryLimitMiB: 512 },
      runAs: cassandraUser,
      dependsOn: [{ workload: this.workload }],
      backoffLimit: 6,
      timeoutSeconds: 900,
    };
    this.schemaJob = args.target.runJob(this.schemaJobSpec, this);
    this.registerOutputs({
      contactPoints: this.contactPoints,
      hostContactPoint: this.hostContactPoint,
      adminPassword: this.adminPassword,
      appPassword: this.appPassword,
    });
  }
}
