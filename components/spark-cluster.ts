/**
 * SparkCluster: a Spark standalone master and N workers (official apache/spark image).
 *
 * The master is a single stateful replica so it has a stable name that resolves to its own address on
 * both targets (`spark-master-0`); it binds and advertises that name, and workers register with
 * `spark://<that name>:7077`. Workers advertise their own IP (Spark's default), so executors are
 * reachable from the driver without per-worker DNS.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { sparkImage, sparkUser, sparkVersion } from "./versions";

/**
 * Master RPC and web UI ports; worker RPC and web UI ports. The worker's RPC port is fixed
 * (`SPARK_WORKER_PORT`; Spark picks a random one by default) because the master connects to it to
 * launch executors, and a network policy can only allow a port it knows.
 */
export const sparkPorts = { master: 7077, masterUi: 8080, worker: 7100, workerUi: 8081 } as const;

/**
 * The ports executors listen on inside a worker (their block managers): the job's
 * `spark.blockManager.port` (7079, set by spark/submit.sh for the driver and executors alike) and the
 * 16 next ones Spark tries (`spark.port.maxRetries`) when several executors share a worker. Drivers
 * and other executors (shuffle, broadcast) connect to them.
 */
export const executorPortRange = { from: 7079, to: 7095 } as const;

/** Arguments of {@link SparkCluster}. */
export interface SparkClusterArgs {
  readonly target: Target;
  /** Spark 3.5.x version of the image. @default sparkVersion */
  readonly version?: string;
  /** Number of workers. @default 1 */
  readonly workers?: number;
  /** Cores each worker offers to executors. @default 1 */
  readonly workerCores?: number;
  /** Memory each worker offers to executors, in MiB (the container gets 512 MiB more). @default 2048 */
  readonly workerMemoryMiB?: number;
  /** Host port of the master web UI on Docker. @default undefined (not published) */
  readonly masterUiHostPort?: number;
  /**
   * Image of master and workers. Workers run executors, which run the job's Python code, so pass the
   * job image (same Spark version) when the job needs Python packages. @default the official image
   */
  readonly image?: pulumi.Input<string>;
  /** Base name of the services (`<name>-master`, `<name>-worker`). @default "spark" */
  readonly serviceName?: string;
}

/** The master's spark:// URL for a target. */
export function sparkMasterUrl(target: Target, masterService: string): string {
  return `spark://${target.replicaHost(masterService, 0)}:${sparkPorts.master}`;
}

/** A Spark standalone cluster. */
export class SparkCluster extends pulumi.ComponentResource {
  /** `spark://spark-master-0:7077` (in-network). */
  public readonly masterUrl: string;
  /** Master web UI: the host URL on Docker when published, else the in-network URL. */
  public readonly masterUiUrl: string;
  /** Spark version (the job image must match). */
  public readonly version: string;
  /** Executor resources a job may ask for per worker. */
  public readonly workerCores: number;
  public readonly workerMemoryMiB: number;
  public readonly master: Workload;
  public readonly workers: Workload;
  public readonly masterSpec: ServiceSpec;
  public readonly workerSpec: ServiceSpec;

  constructor(name: string, args: SparkClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:spark-cluster:SparkCluster", name, {}, opts);
    const version = args.version ?? sparkVersion;
    const workers = args.workers ?? 1;
    const workerCores = args.workerCores ?? 1;
    const workerMemoryMiB = args.workerMemoryMiB ?? 2048;
    const base = args.serviceName ?? "spark";
    const masterService = `${base}-master`;
    const workerService = `${base}-worker`;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new pulumi.ResourceError(
        `Unable to create SparkCluster ${name}: workers ${workers} is not allowed. Use an integer >= 1.`,
        this,
      );
    }
    this.version = version;
    this.workerCores = workerCores;
    this.workerMemoryMiB = workerMemoryMiB;
    this.masterUrl = sparkMasterUrl(args.target, masterService);
    const publishUi = args.target.publishesHostPorts && args.masterUiHostPort !== undefined;
    this.masterUiUrl = publishUi
      ? `http://localhost:${args.masterUiHostPort}`
      : `http://${args.target.serviceHost(masterService)}:${sparkPorts.masterUi}`;
    const image = args.image ?? sparkImage(version);
    const spark = "/opt/spark/bin/spark-class";

    this.masterSpec = {
      name: masterService,
      component: "spark-master",
      image,
      command: [spark, "org.apache.spark.deploy.master.Master"],
      replicas: 1,
      stateful: true,
      env: {
        SPARK_MASTER_HOST: { perReplica: (replica) => replica.host },
        SPARK_MASTER_PORT: String(sparkPorts.master),
        SPARK_MASTER_WEBUI_PORT: String(sparkPorts.masterUi),
        SPARK_NO_DAEMONIZE: "true",
        SPARK_DAEMON_MEMORY: "512m",
      },
      ports: [
        { name: "rpc", containerPort: sparkPorts.master },
        {
          name: "ui",
          containerPort: sparkPorts.masterUi,
          ...(args.masterUiHostPort !== undefined ? { publish: { hostPort: args.masterUiHostPort } } : {}),
        },
      ],
      healthCheck: { probe: { kind: "tcp", port: sparkPorts.master }, startPeriodSeconds: 30 },
      resources: { cpuRequest: 0.25, cpuLimit: 1, memoryRequestMiB: 768, memoryLimitMiB: 768 },
      runAs: sparkUser,
      // The master tells workers to launch executors.
      connectsTo: [{ service: workerService, ports: [sparkPorts.worker] }],
    };
    this.master = args.target.deployService(this.masterSpec, this);

    this.workerSpec = {
      name: workerService,
      component: "spark-worker",
      image,
      command: [spark, "org.apache.spark.deploy.worker.Worker"],
      args: [
        "--cores",
        String(workerCores),
        "--memory",
        `${workerMemoryMiB}m`,
        "--webui-port",
        String(sparkPorts.workerUi),
        this.masterUrl,
      ],
      replicas: workers,
      env: {
        SPARK_NO_DAEMONIZE: "true",
        SPARK_DAEMON_MEMORY: "256m",
        SPARK_WORKER_DIR: "/tmp/spark-work",
        SPARK_WORKER_PORT: String(sparkPorts.worker),
      },
      ports: [
        { name: "ui", containerPort: sparkPorts.workerUi },
        { name: "rpc", containerPort: sparkPorts.worker },
      ],
      healthCheck: { probe: { kind: "tcp", port: sparkPorts.workerUi }, startPeriodSeconds: 30 },
      resources: {
        cpuRequest: workerCores / 2,
        cpuLimit: workerCores,
        memoryRequestMiB: workerMemoryMiB + 512,
        memoryLimitMiB: workerMemoryMiB + 512,
      },
      runAs: sparkUser,
      // Executors in different workers fetch shuffle and broadcast blocks from each other.
      connectsTo: [{ service: workerService, ports: [executorPortRange] }],
      dependsOn: [{ workload: this.master }],
    };
    this.workers = args.target.deployService(this.workerSpec, this);
    this.registerOutputs({ masterUrl: this.masterUrl, masterUiUrl: this.masterUiUrl });
  }
}
