/**
 * This repository's own program, as a function: validated stack config -> target -> pipeline -> outputs.
 * `infra/index.ts` calls it with the stack's config; tests call it with Pulumi mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import type { StreamingPipelineArgs } from "../components/pipeline";
import { StreamingPipeline } from "../components/pipeline";
import type { Target } from "../components/target";
import type { StackConfig } from "./config";
import { parseStackConfig, StackConfigError } from "./config";
import { DockerTarget } from "./docker/target";
import { KubernetesTarget } from "./kubernetes/target";

/** The stack outputs. */
export interface StackOutputs {
  /** Target kind (`docker` or `kubernetes`). */
  readonly target: string;
  /** Bootstrap servers for clients inside the network/cluster. */
  readonly bootstrapServers: pulumi.Output<string>;
  /** Bootstrap servers for clients on the Docker host; undefined on Kubernetes. */
  readonly hostBootstrapServers: pulumi.Output<string | undefined> | undefined;
  /** `scram-sha-512` (clients log in with SASL/SCRAM-SHA-512 over SASL_PLAINTEXT) or `none`. */
  readonly kafkaAuthentication: string;
  /**
   * Each principal's username and password (secret), the admin's included (it may add users and
   * ACLs); undefined with `kafka.authentication: none`.
   */
  readonly kafkaCredentials:
    pulumi.Output<Record<string, { username: string; password: string }>> | undefined;
  /** Schema Registry URL inside the network/cluster. */
  readonly schemaRegistryUrl: pulumi.Output<string>;
  /** Schema Registry URL on the Docker host; undefined on Kubernetes. */
  readonly schemaRegistryHostUrl: pulumi.Output<string | undefined> | undefined;
  /** Control Center URL (host URL on Docker); undefined when disabled. */
  readonly controlCenterUrl: pulumi.Output<string | undefined> | undefined;
  /** Created topics. */
  readonly topics: readonly string[];
  /** The users topic's dead-letter topic. */
  readonly deadLetterTopic: string;
  /** Cassandra contact points inside the network/cluster. */
  readonly cassandraContactPoints: string;
  /** Cassandra on the Docker host (`localhost:<port>`); undefined on Kubernetes. */
  readonly cassandraHostContactPoint: string | undefined;
  /** The application role the streaming job uses. */
  readonly cassandraUsername: string;
  /** Its generated password (secret). */
  readonly cassandraPassword: pulumi.Output<string>;
  /** The admin superuser's generated password (secret; the user is `admin`). */
  readonly cassandraAdminPassword: pulumi.Output<string>;
  /** `spark://...:7077` inside the network/cluster. */
  readonly sparkMasterUrl: string;
  /** Spark master web UI (host URL on Docker). */
  readonly sparkMasterUiUrl: string;
  /** The producer image Airflow runs. */
  readonly producerImage: pulumi.Output<string>;
  /** The streaming job image. */
  readonly streamingJobImage: pulumi.Output<string>;
  /** Airflow UI/API (host URL on Docker, in-cluster URL on Kubernetes). */
  readonly airflowUrl: string;
  readonly airflowAdminUsername: string;
  /** Generated admin password (secret). */
  readonly airflowAdminPassword: pulumi.Output<string>;
}

/** The CA bundle's PEM text for the targets' image builds, when `buildCaBundle` is set (already validated). */
export function buildCaBundleArgs(config: StackConfig): { buildCaBundle?: string } {
  return config.buildCaBundle === undefined
    ? {}
    : { buildCaBundle: readFileSync(config.buildCaBundle, "utf8") };
}

/** The target a stack config asks for. */
export function createTarget(config: StackConfig): Target {
  if (config.target === "docker") {
    const docker = config.docker ?? { hostIp: "127.0.0.1" };
    return new DockerTarget("docker", {
      hostIp: docker.hostIp,
      ...buildCaBundleArgs(config),
      ...(docker.prefix ? { prefix: docker.prefix } : {}),
      ...(docker.imageRegistry ? { imageRegistry: docker.imageRegistry } : {}),
    });
  }
  const kubernetes = config.kubernetes ?? {
    namespace: "data-pipeline",
    createNamespace: true,
    clusterDomain: "cluster.local",
    podSecurity: "restricted" as const,
    networkPolicies: true,
    podDisruptionBudgets: true,
    apiServerCidr: "0.0.0.0/0",
  };
  return new KubernetesTarget("kubernetes", {
    namespace: kubernetes.namespace,
    ...buildCaBundleArgs(config),
    createNamespace: kubernetes.createNamespace,
    clusterDomain: kubernetes.clusterDomain,
    podSecurity: kubernetes.podSecurity,
    networkPolicies: kubernetes.networkPolicies,
    podDisruptionBudgets: kubernetes.podDisruptionBudgets,
    apiServerCidr: kubernetes.apiServerCidr,
    ...(kubernetes.storageClass ? { storageClass: kubernetes.storageClass } : {}),
    ...(kubernetes.imageRegistry ? { imageRegistry: kubernetes.imageRegistry } : {}),
  });
}

/** Maps validated config to pipeline arguments (host ports only where the target publishes them). */
export function pipelineArgsFrom(config: StackConfig, target: Target): StreamingPipelineArgs {
  const publish = target.publishesHostPorts;
  const { hostPort: kafkaHostPort, ...kafka } = config.kafka;
  const { hostPort: registryHostPort, ...schemaRegistry } = config.schemaRegistry;
  const { hostPort: controlCenterHostPort, ...controlCenter } = config.controlCenter;
  const { hostPort: cassandraHostPort, ...cassandra } = config.cassandra;
  const { masterUiHostPort, ...spark } = config.spark;
  const { hostPort: airflowHostPort, ...airflow } = config.airflow;
  const { producer: producerImage, streamingJob: streamingJobImage, airflow: airflowImage } = config.images;
  return {
    target,
    confluentVersion: config.confluentVersion,
    zookeeper: config.zookeeper,
    kafka: { ...kafka, ...(publish ? { hostPort: kafkaHostPort } : {}) },
    schemaRegistry: { ...schemaRegistry, ...(publish ? { hostPort: registryHostPort } : {}) },
    controlCenter: { ...controlCenter, ...(publish ? { hostPort: controlCenterHostPort } : {}) },
    topics: config.topics.map((topic) => ({
      topicName: topic.name,
      partitions: topic.partitions,
      ...(topic.replicationFactor !== undefined ? { replicationFactor: topic.replicationFactor } : {}),
      retentionMs: topic.retentionHours === -1 ? -1 : Math.round(topic.retentionHours * 3_600_000),
    })),
    recordFormat: config.recordFormat,
    cassandra: { ...cassandra, ...(publish ? { hostPort: cassandraHostPort } : {}) },
    spark: { ...spark, ...(publish ? { masterUiHostPort } : {}) },
    streamingJob: { ...config.streamingJob, ...(streamingJobImage ? { image: streamingJobImage } : {}) },
    airflow: {
      ...airflow,
      ...(publish ? { hostPort: airflowHostPort } : {}),
      ...(airflowImage ? { image: airflowImage } : {}),
    },
    producer: producerImage ? { image: producerImage } : {},
  };
}

/**
 * Validates the raw config first (no resource is registered when it is refused), then deploys.
 * A refused config becomes a `pulumi.RunError`: Pulumi prints the message without a stack trace.
 */
export function deployStack(raw: Record<string, unknown>): StackOutputs {
  let config: StackConfig;
  try {
    config = parseStackConfig(raw);
  } catch (error) {
    if (error instanceof StackConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
  const target = createTarget(config);
  const pipeline = new StreamingPipeline("pipeline", pipelineArgsFrom(config, target));
  return {
    target: target.kind,
    bootstrapServers: pipeline.bootstrapServers,
    hostBootstrapServers: target.publishesHostPorts ? pipeline.hostBootstrapServers : undefined,
    kafkaAuthentication: pipeline.kafka.authentication,
    kafkaCredentials: kafkaCredentialsOutput(pipeline),
    schemaRegistryUrl: pipeline.schemaRegistryUrl,
    schemaRegistryHostUrl: target.publishesHostPorts ? pipeline.schemaRegistryHostUrl : undefined,
    controlCenterUrl: pipeline.controlCenter ? pipeline.controlCenterUrl : undefined,
    topics: pipeline.topics.map((topic) => topic.topicName),
    deadLetterTopic: pipeline.deadLetterTopic.topicName,
    cassandraContactPoints: pipeline.cassandra.contactPoints,
    cassandraHostContactPoint: pipeline.cassandra.hostContactPoint,
    cassandraUsername: pipeline.cassandra.appUsername,
    cassandraPassword: pipeline.cassandra.appPassword,
    cassandraAdminPassword: pipeline.cassandra.adminPassword,
    sparkMasterUrl: pipeline.spark.masterUrl,
    sparkMasterUiUrl: pipeline.spark.masterUiUrl,
    producerImage: pipeline.producer.image,
    streamingJobImage: pipeline.streamingJob.image,
    airflowUrl: pipeline.airflow.url,
    airflowAdminUsername: pipeline.airflow.adminUsername,
    airflowAdminPassword: pipeline.airflow.adminPassword,
  };
}

/** The principals' credentials as one secret output (undefined without authentication). */
export function kafkaCredentialsOutput(
  pipeline: StreamingPipeline,
): pulumi.Output<Record<string, { username: string; password: string }>> | undefined {
  const admin = pipeline.kafka.adminCredentials;
  const password = pipeline.kafka.adminPassword;
  if (!admin || !password) return undefined;
  const principals = [
    { username: admin.username, password },
    ...Object.values(pipeline.kafkaUsers).map((user) => ({
      username: user.username,
      password: user.password,
    })),
  ];
  const credentials = pulumi
    .all(principals.map((principal) => principal.password))
    .apply((passwords): Record<string, { username: string; password: string }> =>
      Object.fromEntries(
        principals.map((principal, index) => [
          principal.username,
          { username: principal.username, password: passwords[index] as string },
        ]),
      ),
    );
  return pulumi.secret(credentials);
}

/**
 * The outputs this stack has, as the program's exports: Pulumi warns about every top-level export
 * that is undefined (host endpoints on Kubernetes, Control Center when disabled), so they are left out.
 */
export function definedOutputs(outputs: StackOutputs): Partial<StackOutputs> {
  return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
}
