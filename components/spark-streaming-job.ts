/**
 * SparkStreamingJob: the long-running driver of the users stream. It submits the PySpark job in client
 * mode to the cluster's master, is restarted on failure by the target (container restart policy /
 * StatefulSet), and keeps its checkpoint on a persistent volume so a restart resumes where it stopped.
 *
 * The image is built from spark/Dockerfile on the apache/spark image of the cluster's Spark version,
 * with the Kafka and Cassandra connector jars for that version baked in (no ivy resolution at run time).
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentValues } from "../contracts/interfaces";
import { boundsText, defaultOf, descriptorOf, sparkJobVariables } from "../contracts/interfaces";
import type { Cassandra } from "./cassandra";
import { describedEnvironment, withResourceError } from "./environment";
import { contentTag, repositoryRoot } from "./image-tag";
import type { Kafka } from "./kafka";
import { kafkaCredentialsProblem } from "./kafka-authentication";
import type { KafkaCredentials } from "./kafka-security";
import { defaultJobGroupPrefix } from "./kafka-security";
import type { KafkaTopic } from "./kafka-topic";
import type { SchemaRegistry } from "./schema-registry";
import { schemaRegistryPort } from "./schema-registry";
import type { SparkCluster } from "./spark-cluster";
import { kafkaPorts } from "./kafka";
import { executorPortRange } from "./spark-cluster";
import type { ConnectionSpec, EnvironmentValue, PortSelector, ServiceSpec, Workload } from "./spec";
import { connectionTo } from "./spec";
import type { Target } from "./target";
import { sparkUser, streamingJobBuildArgs } from "./versions";

/** Driver RPC, block manager and UI ports (fixed so executors can reach the driver). */
export const driverPorts = { driver: 7078, blockManager: 7079, ui: 4040 } as const;

/** Record encodings the job decodes (`RECORD_FORMAT`). */
export type RecordFormat = StreamingJobEnvironmentValues["RECORD_FORMAT"] & string;

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
  /**
   * JVM options of the driver and of every executor (`SPARK_JVM_OPTIONS`: `spark.driver.extraJavaOptions`
   * and `spark.executor.extraJavaOptions`). @default "-XX:+UseParallelGC", the throughput collector
   * (spark/README.md "Performance")
   */
  readonly jvmOptions?: string;
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
  /**
   * The principal the job reads and writes Kafka as (a {@link KafkaUser}'s credentials, allowed to
   * read the topic with groups named `groupIdPrefix*` and write the dead-letter topic); required when
   * the cluster authenticates. @default undefined
   */
  readonly credentials?: KafkaCredentials;
  /** The prefix of the job's consumer group ids (Spark's `groupIdPrefix`; the job's ACLs name it). @default defaultJobGroupPrefix */
  readonly groupIdPrefix?: string;
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

/** The values of the job container's environment, by variable name (contracts/interfaces.ts). */
export type StreamingJobEnvironmentValues = EnvironmentValues<
  (typeof sparkJobVariables)[number],
  EnvironmentValue
>;

/**
 * The job container's environment (spark/README.md "Environment"), checked against its descriptors
 * ({@link describedEnvironment}); throws an error naming each bad variable.
 */
export function streamingJobEnvironment(
  values: StreamingJobEnvironmentValues,
): Record<string, EnvironmentValue> {
  return describedEnvironment(sparkJobVariables, values);
}

/**
 * The job's Kafka security env: the protocol (PLAINTEXT without credentials), the SCRAM username
 * and password (a secret reference), and the group id prefix its ACLs allow.
 * Descriptors of contracts/interfaces.ts, checked by {@link streamingJobEnvironment}.
 */
export function streamingJobKafkaSecurityEnvironment(
  credentials: KafkaCredentials | undefined,
  groupIdPrefix: string,
): Pick<
  StreamingJobEnvironmentValues,
  "KAFKA_SECURITY_PROTOCOL" | "KAFKA_SASL_USERNAME" | "KAFKA_SASL_PASSWORD" | "KAFKA_GROUP_ID_PREFIX"
> {
  return {
    KAFKA_SECURITY_PROTOCOL: credentials ? "SASL_PLAINTEXT" : "PLAINTEXT",
    ...(credentials
      ? { KAFKA_SASL_USERNAME: credentials.username, KAFKA_SASL_PASSWORD: { secret: credentials.password } }
      : {}),
    KAFKA_GROUP_ID_PREFIX: groupIdPrefix,
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
    const recordFormat: RecordFormat = args.recordFormat ?? defaultOf(sparkJobVariables, "RECORD_FORMAT");
    const triggerInterval = args.triggerInterval ?? defaultOf(sparkJobVariables, "TRIGGER_INTERVAL");
    const maxOffsetsPerTrigger =
      args.maxOffsetsPerTrigger ?? defaultOf(sparkJobVariables, "MAX_OFFSETS_PER_TRIGGER");
    const batchAttemptTimeoutSeconds =
      args.batchAttemptTimeoutSeconds ?? defaultOf(sparkJobVariables, "BATCH_ATTEMPT_TIMEOUT_SECONDS");
    const executorCores = args.executorCores ?? args.cluster.workerCores;
    const executorMemoryMiB = args.executorMemoryMiB ?? args.cluster.workerMemoryMiB;
    const checkpointSize = args.checkpointSize ?? "5Gi";
    const serviceName = args.serviceName ?? "users-stream";
    const groupIdPrefix = args.groupIdPrefix ?? defaultJobGroupPrefix;
    const credentialsProblem = kafkaCredentialsProblem(args.kafka, args.credentials);
    if (credentialsProblem) {
      throw new pulumi.ResourceError(
        `Unable to create SparkStreamingJob ${name}: ${credentialsProblem}.`,
        this,
      );
    }
    if (recordFormat === "avro" && !args.schemaRegistry) {
      throw new pulumi.ResourceError(
        `Unable to create SparkStreamingJob ${name}: Avro records need \`schemaRegistry\`.`,
        this,
      );
    }
    const timeout = descriptorOf(sparkJobVariables, "BATCH_ATTEMPT_TIMEOUT_SECONDS");
    if (
      !Number.isInteger(batchAttemptTimeoutSeconds) ||
      batchAttemptTimeoutSeconds < timeout.minimum ||
      batchAttemptTimeoutSeconds > timeout.maximum
    ) {
      throw new pulumi.ResourceError(
        `Unable to create SparkStreamingJob ${name}: batchAttemptTimeoutSeconds ${batchAttemptTimeoutSeconds} is not an integer ${boundsText(timeout)} (the job refuses anything else).`,
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
      env: withResourceError(this, `Unable to create SparkStreamingJob ${name}: its environment`, () => ({
        ...streamingJobEnvironment({
          KAFKA_BOOTSTRAP_SERVERS: args.kafka.bootstrapServers,
          ...streamingJobKafkaSecurityEnvironment(args.credentials, groupIdPrefix),
          KAFKA_TOPIC: args.topic.topicName,
          DLQ_TOPIC: this.deadLetterTopic,
          STARTING_OFFSETS: "earliest",
          MAX_OFFSETS_PER_TRIGGER: maxOffsetsPerTrigger,
          RECORD_FORMAT: recordFormat,
          SCHEMA_REGISTRY_URL: args.schemaRegistry?.url,
          CASSANDRA_HOSTS: args.cassandra.contactPoints,
          CASSANDRA_PORT: args.cassandra.port,
          CASSANDRA_USERNAME: args.cassandra.appUsername,
          CASSANDRA_PASSWORD: {
            secret: {
              secretName: args.cassandra.credentialsSecret,
              key: "app-password",
              value: args.cassandra.appPassword,
            },
          },
          CASSANDRA_LOCAL_DC: args.cassandra.datacenter,
          CASSANDRA_KEYSPACE: args.cassandra.keyspace,
          CASSANDRA_TABLE: args.cassandra.table,
          CHECKPOINT_DIR: "/checkpoints/users-stream",
          TRIGGER_INTERVAL: triggerInterval,
          BATCH_ATTEMPT_TIMEOUT_SECONDS: batchAttemptTimeoutSeconds,
          SPARK_MASTER_URL: args.cluster.masterUrl,
          SPARK_DRIVER_HOST: { perReplica: (replica) => replica.host },
          SPARK_EXECUTOR_CORES: executorCores,
          SPARK_EXECUTOR_MEMORY: `${executorMemoryMiB}m`,
          SPARK_JVM_OPTIONS: args.jvmOptions,
        }),
      })),
      ports: [
        { name: "driver", containerPort: driverPorts.driver },
        { name: "block-manager", containerPort: driverPorts.blockManager },
        { name: "ui", containerPort: driverPorts.ui },
      ],
      volumes: [{ name: "checkpoints", mountPath: "/checkpoints", size: checkpointSize }],
      healthCheck: { probe: { kind: "tcp", port: driverPorts.driver }, startPeriodSeconds: 120 },
      resources: { cpuRequest: 0.5, cpuLimit: 1, memoryRequestMiB: 1536, memoryLimitMiB: 1536 },
      runAs: sparkUser,
      connectsTo: streamingJobConnections(args, serviceName),
      dependsOn: [
        ...(args.credentials?.workload ? [{ workload: args.credentials.workload }] : []),
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

/**
 * The connections of the job's code: the driver's (the brokers, Cassandra, the executors' block
 * managers) and its executors', which run inside the cluster's workers (the brokers, Cassandra, Schema
 * Registry for Avro, and back to the driver's RPC and block manager); the master reports executors to
 * the driver's RPC endpoint. The driver's dependencies (master, Schema Registry) are implied.
 */
export function streamingJobConnections(
  args: Pick<SparkStreamingJobArgs, "kafka" | "cassandra" | "cluster" | "schemaRegistry">,
  serviceName: string,
): ConnectionSpec[] {
  const workers = args.cluster.workers;
  const executors = (workload: Workload, ports: readonly PortSelector[]) =>
    connectionTo(workload, ports, workers);
  return [
    connectionTo(args.kafka.workload, [kafkaPorts.internal]),
    connectionTo(args.cassandra.workload, [args.cassandra.port]),
    connectionTo(workers, [executorPortRange]),
    executors(args.kafka.workload, [kafkaPorts.internal]),
    executors(args.cassandra.workload, [args.cassandra.port]),
    ...(args.schemaRegistry ? [executors(args.schemaRegistry.workload, [schemaRegistryPort])] : []),
    { service: serviceName, ports: [driverPorts.driver, driverPorts.blockManager], from: workers.name },
    { service: serviceName, ports: [driverPorts.driver], from: args.cluster.master.name },
  ];
}
