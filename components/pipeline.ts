/**
 * StreamingPipeline: the whole pipeline from one args object, realized through one target.
 * This slice: ZooKeeper (or KRaft), Kafka, Schema Registry, optional Control Center and topics.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ControlCenterArgs } from "./control-center";
import { ControlCenter } from "./control-center";
import type { KafkaArgs } from "./kafka";
import { Kafka } from "./kafka";
import type { KafkaTopicArgs } from "./kafka-topic";
import { KafkaTopic } from "./kafka-topic";
import type { SchemaRegistryArgs } from "./schema-registry";
import { SchemaRegistry } from "./schema-registry";
import type { Target } from "./target";
import { confluentPlatformVersion } from "./versions";
import type { ZooKeeperArgs } from "./zookeeper";
import { ZooKeeper } from "./zookeeper";

/** Control Center settings inside a pipeline. */
export interface PipelineControlCenterArgs extends Omit<
  ControlCenterArgs,
  "target" | "kafka" | "schemaRegistry" | "version"
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
  readonly schemaRegistry?: Omit<SchemaRegistryArgs, "target" | "kafka" | "version">;
  /** Control Center settings. @default { enabled: false } */
  readonly controlCenter?: PipelineControlCenterArgs;
  /** Topics to create. @default [{ topicName: "users_created" }] */
  readonly topics?: readonly Omit<KafkaTopicArgs, "target" | "kafka">[];
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
    const topics = args.topics ?? [{ topicName: "users_created" }];
    const controlCenter = args.controlCenter ?? {};
    const mode = kafkaArgs.mode ?? "zookeeper";
    const child = { parent: this };

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
    this.schemaRegistry = new SchemaRegistry(
      `${name}-schema-registry`,
      { ...(args.schemaRegistry ?? {}), target: args.target, kafka: this.kafka, version },
      child,
    );
    const { enabled: controlCenterEnabled, ...controlCenterArgs } = controlCenter;
    this.controlCenter = controlCenterEnabled
      ? new ControlCenter(
          `${name}-control-center`,
          {
            ...controlCenterArgs,
            target: args.target,
            kafka: this.kafka,
            schemaRegistry: this.schemaRegistry,
            version,
          },
          child,
        )
      : undefined;
    this.topics = topics.map(
      (topic) =>
        new KafkaTopic(
          `${name}-topic-${topic.topicName}`,
          { ...topic, target: args.target, kafka: this.kafka },
          child,
        ),
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
}
