/**
 * KafkaTopic: a topic created idempotently by a job that runs the image's own `kafka-topics`.
 * Re-running converges: the topic is created if missing, partitions are raised to the wanted count,
 * and retention is set.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Kafka } from "./kafka";
import { kafkaClientDependencies, kafkaCredentialsProblem } from "./kafka-authentication";
import type { KafkaCredentials } from "./kafka-security";
import { clientPropertiesCommand } from "./kafka-security";
import type { EnvironmentValue, JobSpec, Workload } from "./spec";
import type { Target } from "./target";
import { confluentImage, confluentUser } from "./versions";

/** Arguments of {@link KafkaTopic}. */
export interface KafkaTopicArgs {
  readonly target: Target;
  readonly kafka: Kafka;
  /** Topic name (Kafka rules: letters, digits, `.`, `_`, `-`; at most 249 characters). */
  readonly topicName: string;
  /** @default 3 */
  readonly partitions?: number;
  /** @default min(3, brokers) */
  readonly replicationFactor?: number;
  /** retention.ms; -1 keeps records forever. @default 604800000 (7 days) */
  readonly retentionMs?: number;
  /**
   * The principal the job creates and configures the topic as (a {@link KafkaUser}'s credentials,
   * allowed Create, Describe, Alter, DescribeConfigs and AlterConfigs on the topic); required when
   * the cluster authenticates, refused when it does not. @default undefined
   */
  readonly credentials?: KafkaCredentials;
}

/** Kafka's topic-name rule. */
export const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;

/** The job's name: the topic as a DNS label. */
export function topicJobName(topicName: string): string {
  const label = topicName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `topic-${label}`.slice(0, 63).replace(/-+$/, "");
}

/** The env names the topic job reads its principal's credentials from. */
export const topicJobCredentialNames = { username: "SASL_USERNAME", password: "SASL_PASSWORD" } as const;

/**
 * The idempotent shell script; parameters come from the environment (see {@link topicJobEnvironment}).
 * With credentials, every tool runs with `--command-config` of a client properties file written
 * from the env into a private temp directory (the password is in no command line).
 */
export function topicScript(authenticated: boolean): string {
  const tool = (name: string) =>
    authenticated
      ? `${name} --bootstrap-server "$BOOTSTRAP_SERVERS" --command-config "$dir/client.properties"`
      : `${name} --bootstrap-server "$BOOTSTRAP_SERVERS"`;
  return [
    "set -euo pipefail",
    ...(authenticated
      ? [
          "umask 077",
          'dir="$(mktemp -d)"',
          `trap 'rm -rf "$dir"' EXIT`,
          clientPropertiesCommand("$dir/client.properties", topicJobCredentialNames),
        ]
      : []),
    `${tool("kafka-topics")} --create --if-not-exists --topic "$TOPIC" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR" --config "retention.ms=$RETENTION_MS"`,
    `current=$(${tool("kafka-topics")} --describe --topic "$TOPIC" | grep -c "Partition: " || true)`,
    `if [ "$current" -lt "$PARTITIONS" ]; then ${tool("kafka-topics")} --alter --topic "$TOPIC" --partitions "$PARTITIONS"; fi`,
    `${tool("kafka-configs")} --alter --entity-type topics --entity-name "$TOPIC" --add-config "retention.ms=$RETENTION_MS"`,
    `${tool("kafka-topics")} --describe --topic "$TOPIC"`,
  ].join("\n");
}

/** The credentials' env of a topic job (the password as a secret reference). */
export function topicJobCredentialEnvironment(
  credentials: KafkaCredentials,
): Record<string, EnvironmentValue> {
  return {
    [topicJobCredentialNames.username]: credentials.username,
    [topicJobCredentialNames.password]: { secret: credentials.password },
  };
}

/** The job parameters. */
export function topicJobEnvironment(
  bootstrapServers: string,
  topicName: string,
  partitions: number,
  replicationFactor: number,
  retentionMs: number,
): Record<string, string> {
  return {
    BOOTSTRAP_SERVERS: bootstrapServers,
    TOPIC: topicName,
    PARTITIONS: String(partitions),
    REPLICATION_FACTOR: String(replicationFactor),
    RETENTION_MS: String(retentionMs),
  };
}

/** A Kafka topic. */
export class KafkaTopic extends pulumi.ComponentResource {
  /** The topic name. */
  public readonly topicName: string;
  /** The job; dependents (producers, streaming jobs) wait for it. */
  public readonly workload: Workload;
  /** The neutral spec this component rendered. */
  public readonly spec: JobSpec;

  constructor(name: string, args: KafkaTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:kafka-topic:KafkaTopic", name, {}, opts);
    const partitions = args.partitions ?? 3;
    const replicationFactor = args.replicationFactor ?? Math.min(3, args.kafka.brokers);
    const retentionMs = args.retentionMs ?? 604_800_000;
    if (!topicNamePattern.test(args.topicName) || args.topicName === "." || args.topicName === "..") {
      throw new pulumi.ResourceError(
        `Unable to create topic "${args.topicName}": use 1-249 letters, digits, '.', '_' or '-'.`,
        this,
      );
    }
    const credentialsProblem = kafkaCredentialsProblem(args.kafka, args.credentials);
    if (credentialsProblem) {
      throw new pulumi.ResourceError(
        `Unable to create topic "${args.topicName}": ${credentialsProblem}.`,
        this,
      );
    }
    if (replicationFactor > args.kafka.brokers) {
      throw new pulumi.ResourceError(
        `Unable to create topic "${args.topicName}": replicationFactor ${replicationFactor} exceeds brokers ${args.kafka.brokers}.`,
        this,
      );
    }
    this.topicName = args.topicName;
    this.spec = {
      name: topicJobName(args.topicName),
      component: "kafka-topic",
      image: confluentImage("cp-kafka", args.kafka.version),
      command: ["bash", "-c", topicScript(args.credentials !== undefined)],
      env: {
        ...topicJobEnvironment(
          args.kafka.bootstrapServers,
          args.topicName,
          partitions,
          replicationFactor,
          retentionMs,
        ),
        ...(args.credentials ? topicJobCredentialEnvironment(args.credentials) : {}),
      },
      resources: { cpuRequest: 0.1, cpuLimit: 0.5, memoryRequestMiB: 256, memoryLimitMiB: 512 },
      runAs: confluentUser,
      dependsOn: kafkaClientDependencies(args.kafka, args.credentials),
      backoffLimit: 6,
    };
    this.workload = args.target.runJob(this.spec, this);
    this.registerOutputs({ topicName: this.topicName });
  }
}
