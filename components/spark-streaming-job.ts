/**
 * SparkStreamingJob: the long-running driver of the users stream. It submits the PySpark job in client
 * mode to the cluster's master, is restarted on failure by the target (container restart policy /
 * StatefulSet), and keeps its checkpoint on a persistent volume so a restart resumes where it stopped.
 *
 * The image is built from spark/Dockerfile on the apache/spark image of the cluster's Spark version,
 * with the Kafka and Cassandra connector jars for that version baked in (no ivy resolution at run time).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Cassandra } from "./cassandra";
import { contentTag, repositoryRoot } from "./image-tag";
import type { Kafka } from "./kafka";
import type { KafkaTopic } from "./kafka-topic";
import type { SchemaRegistry } from "./schema-registry";
import type { SparkCluster } from "./spark-cluster";
import type { EnvironmentValue, ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { sparkUser, streamingJobBuildArgs } from "./versions";

/** Driver RPC, block manager and UI ports (fixed so executors can reach the driver). */
export const driverPorts = { driver: 7078, blockManager: 7079, ui: 4040 } as const;

/** Record encodings the job decodes. */
export type RecordFormat = "json" | "avro";

/** Arguments of {@link SparkStreamingJob}. */
export interface SparkStreamingJobArgs {
  readonly target: Target;
  readonly cluster: SparkCluster;
  readonly kafka: Kafka;
  readonly topic: KafkaTopic;
  /** The dead-letter topic (created beforehand; auto-creation is off). @default `<topic>.dlq`, assumed to exist */
  readonly deadLetterTopic?: KafkaTopic;
  readonly cassandra: Cassandra;
  /** Needed for Avro records. @default undefined */
  readonly schemaRegistry?: SchemaRegistry;
  /** Encoding of the topic's values. @default "json" */
  readonly recordFormat?: RecordFormat;
  /** Micro-batch trigger interval. @default "5 seconds" */
  readonly triggerInterval?: string;
  /** Upper bound of records per micro-batch. @default 100000 */
  readonly maxOffsetsPerTrigger?: number;
  /**
   * Seconds one micro-batch write attempt may run before the job cancels and retries it
   * (`BATCH_ATTEMPT_TIMEOUT_SECONDS`, spark/README.md "Failures"); keep it well above the slowest
   * healthy batch. An integer from 10 to 86400. @default 300
   */
  readonly batchAttemptTimeoutSeconds?: number;
  /** Executor cores and memory (must fit a worker). @default cluster.workerCores, cluster.workerMemoryMiB */
  readonly executorCores?: number;
  readonly executorMemoryMiB?: number;
  /** Size of the checkpoint volume. @default "5Gi" */
  readonly checkpointSize?: string;
  /** A job image built already (shared with the cluster). @default built here with {@link buildStreamingJobImage} */
  readonly image?: pulumi.Input<string>;
  /** Image tag when built here. @default a content hash of spark/ and contracts/ */
  readonly imageTag?: string;
  /** Build context (must hold spark/ and contracts/). @default this checkout's root */
  readonly buildContext?: string;
  /** Service name. @default "users-stream" */
  readonly serviceName?: string;
}

/**
 * Builds the job image (spark/Dockerfile: the apache/spark image of `sparkVersion` plus the connector
 * jars resolved for that version, the job's Python dependencies and the job). Executors run the job's
 * Python code too, so the Spark cluster runs this image as well.
 */
export function buildStreamingJobImage(
  target: Target,
  parent: pulumi.Resource,
  options: { readonly sparkVersion: string; readonly imageTag?: string; readonly buildContext?: string },
): pulumi.Output<string> {
  const context = options.buildContext ?? repositoryRoot();
  const buildArgs = streamingJobBuildArgs(options.sparkVersion);
  const tag =
    options.imageTag ?? contentTag(options.sparkVersion, context, ["spark", "contracts"], buildArgs);
  return target.buildImage(
    { name: "data-pipeline-spark-job", context, dockerfile: `${context}/spark/Dockerfile`, tag, buildArgs },
    parent,
  );
}

/** The job's environment contract (see spark/README.md). */
export function streamingJobEnvironment(settings: {
  readonly bootstrapServers: string;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly recordFormat: RecordFormat;
  readonly schemaRegistryUrl: string | undefined;
  readonly cassandraHosts: string;
  readonly cassandraPort: number;
  readonly cassandraUsername: string;
  readonly cassandraPassword: EnvironmentValue;
  readonly datacenter: string;
  readonly keyspace: string;
  readonly table: string;
  readonly triggerInterval: string;
  readonly maxOffsetsPerTrigger: number;
  readonly batchAttemptTimeoutSeconds: number;
  readonly masterUrl: string;
  readonly executorCores: number;
  readonly executorMemoryMiB: number;
}): Record<string, EnvironmentValue> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: settings.bootstrapServers,
    KAFKA_TOPIC: settings.topic,
    DLQ_TOPIC: settings.deadLetterTopic,
    STARTING_OFFSETS: "earliest",
    MAX_OFFSETS_PER_TRIGGER: String(settings.maxOffsetsPerTrigger),
    RECORD_FORMAT: settings.recordFormat,
    ...(settings.schemaRegistryUrl ? { SCHEMA_REGISTRY_URL: settings.schemaRegistryUrl } : {}),
    CASSANDRA_HOSTS: settings.cassandraHosts,
    CASSANDRA_PORT: String(settings.cassandraPort),
    CASSANDRA_USERNAME: settings.cassandraUsername,
    CASSANDRA_PASSWORD: settings.cassandraPassword,
    CASSANDRA_LOCAL_DC: settings.datacenter,
    CASSANDRA_KEYSPACE: settings.keyspace,
    CASSANDRA_TABLE: settings.table,
    CHECKPOINT_DIR: "/checkpoints/users-stream",
    TRIGGER_INTERVAL: settings.triggerInterval,
    BATCH_ATTEMPT_TIMEOUT_SECONDS: String(settings.batchAttemptTimeoutSeconds),
    SPARK_MASTER_URL: settings.masterUrl,
    SPARK_DRIVER_HOST: { perReplica: (replica) => replica.host },
    SPARK_EXECUTOR_CORES: String(settings.executorCores),
    SPARK_EXECUTOR_MEMORY: `${settings.executorMemoryMiB}m`,
  };
}

/** The users stream: Kafka topic -> validation -> Cassandra (+ dead-letter topic). */
export class SparkStreamingJob extends pulumi.ComponentResource {
  /** The job image reference. */
  public readonly image: pulumi.Output<string>;
  /** The dead-letter topic invalid records go to. */
  public readonly deadLetterTopic: string;
  public readonly workload: Workload;
  public readonly spec: ServiceSpec;

  constructor(name: string, args: SparkStreamingJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:spark-streaming-job:SparkStreamingJob", name, {}, opts);
    const recordFormat = args.recordFormat ?? "json";
    const triggerInterval = args.triggerInterval ?? "5 seconds";
    const maxOffsetsPerTrigger = args.maxOffsetsPerTrigger ?? 100_000;
    const batchAttemptTimeoutSeconds = args.batchAttemptTimeoutSeconds ?? 300;
    const executorCores = args.executorCores ?? args.cluster.workerCores;
    const executorMemoryMiB = args.executorMemoryMiB ?? args.cluster.workerMemoryMiB;
    const checkpointSize = args.checkpointSize ?? "5Gi";
    const serviceName = args.serviceName ?? "users-stream";
    if (recordFormat === "avro" && !args.schemaRegistry) {
      throw new pulumi.ResourceError(
        `Unable to create SparkStreamingJob ${name}: Avro records need \`schemaRegistry\`.`,
        this,
      );
    }
    if (
      !Number.isInteger(batchAttemptTimeoutSeconds) ||
      batchAttemptTimeoutSeconds < 10 ||
      batchAttemptTimeoutSeconds > 86_400
    ) {
      throw new pulumi.ResourceError(
        `Unable to create SparkStreamingJob ${name}: batchAttemptTimeoutSeconds ${batchAttemptTimeoutSeconds} is not an integer from 10 to 86400 (the job refuses less than 10).`,
        this,
      );
    }
    if (executorCores > args.cluster.workerCores || executorMemoryMiB > args.cluster.workerMemoryMiB) {
      throw new pulumi.ResourceError(
        `Unable to create SparkStreamingJob ${name}: executors (${executorCores} cores, ${executorMemoryMiB} MiB) do not fit a worker (${args.cluster.workerCores} cores, ${args.cluster.workerMemoryMiB} MiB).`,
        this,
      );
    }
    this.image = pulumi.output(
      args.image ??
        buildStreamingJobImage(args.target, this, {
          sparkVersion: args.cluster.version,
          ...(args.imageTag ? { imageTag: args.imageTag } : {}),
          ...(args.buildContext ? { buildContext: args.buildContext } : {}),
        }),
    );
    this.deadLetterTopic = args.deadLetterTopic?.topicName ?? `${args.topic.topicName}.dlq`;
    this.spec = {
      name: serviceName,
      component: "spark-streaming-job",
      image: this.image,
      entrypoint: ["/opt/app/submit.sh"],
      replicas: 1,
      stateful: true,
      env: streamingJobEnvironment({
        bootstrapServers: args.kafka.bootstrapServers,
        topic: args.topic.topicName,
        deadLetterTopic: this.deadLetterTopic,
        recordFormat,
        schemaRegistryUrl: args.schemaRegistry?.url,
        cassandraHosts: args.cassandra.contactPoints,
        cassandraPort: args.cassandra.port,
        cassandraUsername: args.cassandra.appUsername,
        cassandraPassword: {
          secret: {
            secretName: args.cassandra.credentialsSecret,
            key: "app-password",
            value: args.cassandra.appPassword,
          },
        },
        datacenter: args.cassandra.datacenter,
        keyspace: args.cassandra.keyspace,
        table: args.cassandra.table,
        triggerInterval,
        maxOffsetsPerTrigger,
        batchAttemptTimeoutSeconds,
        masterUrl: args.cluster.masterUrl,
        executorCores,
        executorMemoryMiB,
      }),
      ports: [
        { name: "driver", containerPort: driverPorts.driver },
        { name: "block-manager", containerPort: driverPorts.blockManager },
        { name: "ui", containerPort: driverPorts.ui },
      ],
      volumes: [{ name: "checkpoints", mountPath: "/checkpoints", size: checkpointSize }],
      healthCheck: { probe: { kind: "tcp", port: driverPorts.driver }, startPeriodSeconds: 120 },
      resources: { cpuRequest: 0.5, cpuLimit: 1, memoryRequestMiB: 1536, memoryLimitMiB: 1536 },
      runAs: sparkUser,
      dependsOn: [
        { workload: args.cluster.master },
        { workload: args.cluster.workers },
        { workload: args.topic.workload },
        ...(args.deadLetterTopic ? [{ workload: args.deadLetterTopic.workload }] : []),
        { workload: args.cassandra.schemaJob },
        ...(args.schemaRegistry ? [{ workload: args.schemaRegistry.workload }] : []),
      ],
    };
    this.workload = args.target.deployService(this.spec, this);
    this.registerOutputs({ image: this.image, deadLetterTopic: this.deadLetterTopic });
  }
}
