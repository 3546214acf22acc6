/**
 * StreamingPipeline: the whole pipeline from one args object, realized through one target:
 * ZooKeeper (or KRaft), Kafka, Schema Registry, optional Control Center, topics (plus the users
 * topic's dead-letter topic), Cassandra with its schema, a Spark cluster, the users streaming job and
 * the producer image.
 */
import * as pulumi from "@pulumi/pulumi";
import { defaultOf, sparkJobVariables } from "../contracts/interfaces";
import type { AirflowArgs } from "./airflow";
import { Airflow } from "./airflow";
import type { CassandraArgs } from "./cassandra";
import { Cassandra } from "./cassandra";
import type { ProducerArgs } from "./producer";
import { Producer } from "./producer";
import type { SparkClusterArgs } from "./spark-cluster";
import { SparkCluster } from "./spark-cluster";
import type { RecordFormat, SparkStreamingJobArgs } from "./spark-streaming-job";
import { buildStreamingJobImage, SparkStreamingJob } from "./spark-streaming-job";
import { sparkVersion } from "./versions";
import type { ControlCenterArgs } from "./control-center";
import { ControlCenter } from "./control-center";
import type { KafkaArgs } from "./kafka";
import { Kafka } from "./kafka";
import type { KafkaCredentials, PipelinePrincipal } from "./kafka-security";
import { defaultJobGroupPrefix, pipelineAcls, pipelinePrincipals } from "./kafka-security";
import type { KafkaTopicArgs } from "./kafka-topic";
import { KafkaTopic } from "./kafka-topic";
import { KafkaUser } from "./kafka-user";
import type { SchemaRegistryArgs } from "./schema-registry";
import { SchemaRegistry } from "./schema-registry";
import type { Target } from "./target";
import { confluentPlatformVersion } from "./versions";
import type { ZooKeeperArgs } from "./zookeeper";
import { ZooKeeper } from "./zookeeper";

/** Control Center settings inside a pipeline. */
export interface PipelineControlCenterArgs extends Omit<
  ControlCenterArgs,
  "target" | "kafka" | "schemaRegistry" | "version" | "credentials"
> {
  /** Deploy Control Center (commercial; see README for licence terms). @default false */
  readonly enabled?: boolean;
}

/** Arguments of {@link StreamingPipeline}. */
export interface StreamingPipelineArgs {
  /** Where everything runs (`DockerTarget`, `KubernetesTarget`, or your own). */
  readonly target: Target;
  /** Confluent Platform version of every Confluent image. @default confluentPlatformVersion */
  readonly confluentVersion?: string;
  /** ZooKeeper settings (ignored in KRaft mode). @default {} */
  readonly zookeeper?: Omit<ZooKeeperArgs, "target" | "version">;
  /** Kafka settings. @default {} (one broker, ZooKeeper mode) */
  readonly kafka?: Omit<KafkaArgs, "target" | "zookeeper" | "version">;
  /** Schema Registry settings. @default {} */
  readonly schemaRegistry?: Omit<SchemaRegistryArgs, "target" | "kafka" | "version" | "credentials">;
  /** Control Center settings. @default { enabled: false } */
  readonly controlCenter?: PipelineControlCenterArgs;
  /** Topics to create. @default [{ topicName: "users_created" }] */
  readonly topics?: readonly Omit<KafkaTopicArgs, "target" | "kafka" | "credentials">[];
  /** The topic the producer writes and the streaming job reads; its `<name>.dlq` topic is added. @default the first topic */
  readonly usersTopic?: string;
  /** Encoding of user records (producer and streaming job). @default "json" */
  readonly recordFormat?: RecordFormat;
  /** Cassandra settings. @default {} (one node) */
  readonly cassandra?: Omit<CassandraArgs, "target">;
  /** Spark cluster settings. @default {} (one worker) */
  readonly spark?: Omit<SparkClusterArgs, "target">;
  /** Streaming job settings. @default {} */
  readonly streamingJob?: Omit<
    SparkStreamingJobArgs,
    "target" | "cluster" | "kafka" | "topic" | "cassandra" | "schemaRegistry" | "recordFormat" | "credentials"
  >;
  /** Airflow settings. @default {} */
  readonly airflow?: Omit<
    AirflowArgs,
    "target" | "kafka" | "topic" | "cassandra" | "producer" | "credentials"
  >;
  /** Producer image settings. @default {} */
  readonly producer?: Omit<
    ProducerArgs,
    "target" | "kafka" | "topic" | "schemaRegistry" | "format" | "credentials"
  >;
}

/** The streaming pipeline. */
export class StreamingPipeline extends pulumi.ComponentResource {
  /** The ZooKeeper ensemble (undefined in KRaft mode). */
  public readonly zookeeper: ZooKeeper | undefined;
  public readonly kafka: Kafka;
  public readonly schemaRegistry: SchemaRegistry;
  /** Control Center, when enabled. */
  public readonly controlCenter: ControlCenter | undefined;
  public readonly topics: readonly KafkaTopic[];
  /** The users topic's dead-letter topic. */
  public readonly deadLetterTopic: KafkaTopic;
  public readonly cassandra: Cassandra;
  public readonly spark: SparkCluster;
  public readonly streamingJob: SparkStreamingJob;
  public readonly producer: Producer;
  public readonly airflow: Airflow;
  /**
   * One SCRAM principal per workload that talks to Kafka, with the ACLs of `pipelineAcls`
   * (Control Center's only when it is deployed); empty when `kafka.authentication` is `none`.
   */
  public readonly kafkaUsers: Readonly<Partial<Record<PipelinePrincipal, KafkaUser>>>;
  /** In-network bootstrap servers. */
  public readonly bootstrapServers: pulumi.Output<string>;
  /** Host bootstrap servers (Docker), undefined elsewhere. */
  public readonly hostBootstrapServers: pulumi.Output<string | undefined>;
  /** In-network Schema Registry URL. */
  public readonly schemaRegistryUrl: pulumi.Output<string>;
  /** Host Schema Registry URL (Docker), undefined elsewhere. */
  public readonly schemaRegistryHostUrl: pulumi.Output<string | undefined>;
  /** Control Center URL for a browser: the host URL on Docker, the in-cluster URL on Kubernetes; undefined when disabled. */
  public readonly controlCenterUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: StreamingPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:pipeline:StreamingPipeline", name, {}, opts);
    const version = args.confluentVersion ?? confluentPlatformVersion;
    const kafkaArgs = args.kafka ?? {};
    const topics = args.topics ?? [{ topicName: defaultOf(sparkJobVariables, "KAFKA_TOPIC") }];
    const controlCenter = args.controlCenter ?? {};
    const mode = kafkaArgs.mode ?? "zookeeper";
    const child = { parent: this };
    const usersTopicName = args.usersTopic ?? topics[0]?.topicName;
    const usersTopicArgs = topics.find((topic) => topic.topicName === usersTopicName);
    if (!usersTopicArgs) {
      throw new pulumi.ResourceError(
        `Unable to create pipeline ${name}: usersTopic "${usersTopicName}" is not one of the topics (${topics.map((t) => t.topicName).join(", ")}).`,
        this,
      );
    }

    this.zookeeper =
      mode === "zookeeper"
        ? new ZooKeeper(
            `${name}-zookeeper`,
            { ...(args.zookeeper ?? {}), target: args.target, version },
            child,
          )
        : undefined;
    this.kafka = new Kafka(
      `${name}-kafka`,
      {
        ...kafkaArgs,
        target: args.target,
        version,
        ...(this.zookeeper ? { zookeeper: this.zookeeper } : {}),
      },
      child,
    );
    const deadLetterTopicName = `${usersTopicArgs.topicName}.dlq`;
    const { enabled: controlCenterEnabled, ...controlCenterArgs } = controlCenter;
    this.kafkaUsers = this.createKafkaUsers(name, args, {
      usersTopic: usersTopicArgs.topicName,
      deadLetterTopic: deadLetterTopicName,
      managedTopics: [...topics.map((topic) => topic.topicName), deadLetterTopicName],
      jobGroupPrefix: args.streamingJob?.groupIdPrefix ?? defaultJobGroupPrefix,
      controlCenter: controlCenterEnabled === true,
    });
    const credentials = (principal: PipelinePrincipal): { credentials?: KafkaCredentials } => {
      const user = this.kafkaUsers[principal];
      return user ? { credentials: user.credentials } : {};
    };

    this.schemaRegistry = new SchemaRegistry(
      `${name}-schema-registry`,
      {
        ...(args.schemaRegistry ?? {}),
        target: args.target,
        kafka: this.kafka,
        version,
        ...credentials("schema-registry"),
      },
      child,
    );
    this.controlCenter = controlCenterEnabled
      ? new ControlCenter(
          `${name}-control-center`,
          {
            ...controlCenterArgs,
            target: args.target,
            kafka: this.kafka,
            schemaRegistry: this.schemaRegistry,
            version,
            ...credentials("control-center"),
          },
          child,
        )
      : undefined;
    this.topics = topics.map(
      (topic) =>
        new KafkaTopic(
          `${name}-topic-${topic.topicName}`,
          { ...topic, target: args.target, kafka: this.kafka, ...credentials("topic-job") },
          child,
        ),
    );
    const usersTopic = this.topics.find(
      (topic) => topic.topicName === usersTopicArgs.topicName,
    ) as KafkaTopic;
    this.deadLetterTopic = new KafkaTopic(
      `${name}-topic-${deadLetterTopicName}`,
      {
        ...usersTopicArgs,
        topicName: deadLetterTopicName,
        target: args.target,
        kafka: this.kafka,
        ...credentials("topic-job"),
      },
      child,
    );
    const recordFormat = args.recordFormat ?? "json";
    const avro = recordFormat === "avro" ? { schemaRegistry: this.schemaRegistry } : {};
    this.cassandra = new Cassandra(
      `${name}-cassandra`,
      { ...(args.cassandra ?? {}), target: args.target },
      child,
    );
    // One image for the driver and the executors: the job's Python code runs on both.
    const streamingJobArgs = args.streamingJob ?? {};
    const jobImage =
      streamingJobArgs.image ??
      buildStreamingJobImage(args.target, this, {
        sparkVersion: args.spark?.version ?? sparkVersion,
        ...(streamingJobArgs.imageTag ? { imageTag: streamingJobArgs.imageTag } : {}),
        ...(streamingJobArgs.buildContext ? { buildContext: streamingJobArgs.buildContext } : {}),
      });
    this.spark = new SparkCluster(
      `${name}-spark`,
      { image: jobImage, ...(args.spark ?? {}), target: args.target },
      child,
    );
    this.streamingJob = new SparkStreamingJob(
      `${name}-users-stream`,
      {
        ...streamingJobArgs,
        image: jobImage,
        target: args.target,
        cluster: this.spark,
        kafka: this.kafka,
        topic: usersTopic,
        deadLetterTopic: this.deadLetterTopic,
        cassandra: this.cassandra,
        recordFormat,
        ...avro,
        ...credentials("streaming-job"),
      },
      child,
    );
    this.producer = new Producer(
      `${name}-producer`,
      {
        ...(args.producer ?? {}),
        target: args.target,
        kafka: this.kafka,
        topic: usersTopic,
        format: recordFormat,
        ...avro,
        ...credentials("producer"),
      },
      child,
    );
    this.airflow = new Airflow(
      `${name}-airflow`,
      {
        ...(args.airflow ?? {}),
        target: args.target,
        kafka: this.kafka,
        topic: usersTopic,
        cassandra: this.cassandra,
        producer: this.producer,
        ...credentials("airflow"),
      },
      child,
    );

    this.bootstrapServers = pulumi.output(this.kafka.bootstrapServers);
    this.hostBootstrapServers = pulumi.output(this.kafka.hostBootstrapServers);
    this.schemaRegistryUrl = pulumi.output(this.schemaRegistry.url);
    this.schemaRegistryHostUrl = pulumi.output(this.schemaRegistry.hostUrl);
    this.controlCenterUrl = pulumi.output(
      this.controlCenter ? (this.controlCenter.hostUrl ?? this.controlCenter.url) : undefined,
    );
    this.registerOutputs({
      bootstrapServers: this.bootstrapServers,
      hostBootstrapServers: this.hostBootstrapServers,
      schemaRegistryUrl: this.schemaRegistryUrl,
      schemaRegistryHostUrl: this.schemaRegistryHostUrl,
      controlCenterUrl: this.controlCenterUrl,
    });
  }

  /** The pipeline's principals with their ACLs, when the cluster authenticates (children of this pipeline). */
  private createKafkaUsers(
    name: string,
    args: StreamingPipelineArgs,
    names: {
      readonly usersTopic: string;
      readonly deadLetterTopic: string;
      readonly managedTopics: readonly string[];
      readonly jobGroupPrefix: string;
      readonly controlCenter: boolean;
    },
  ): Partial<Record<PipelinePrincipal, KafkaUser>> {
    if (this.kafka.authentication !== "scram-sha-512") return {};
    const acls = pipelineAcls(names);
    const users: Partial<Record<PipelinePrincipal, KafkaUser>> = {};
    for (const principal of pipelinePrincipals) {
      // No principal for a workload that is not deployed.
      if (principal === "control-center" && !names.controlCenter) continue;
      users[principal] = new KafkaUser(
        `${name}-kafka-user-${principal}`,
        { target: args.target, kafka: this.kafka, username: principal, acls: acls[principal] },
        { parent: this },
      );
    }
    return users;
  }
}
