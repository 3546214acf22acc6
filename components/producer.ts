/**
 * Producer: builds the producer image (producer/Dockerfile) and makes it available to Airflow, which
 * runs it per DAG run: a local image on Docker, an image pushed to the stack's registry on Kubernetes.
 * The component runs nothing itself; it exports the image and the environment a run needs.
 */
import * as pulumi from "@pulumi/pulumi";
import { contentTag, repositoryRoot } from "./image-tag";
import type { Kafka } from "./kafka";
import { kafkaCredentialsProblem } from "./kafka-authentication";
import { kafkaPorts } from "./kafka";
import type { KafkaCredentials } from "./kafka-security";
import type { KafkaTopic } from "./kafka-topic";
import type { SchemaRegistry } from "./schema-registry";
import { schemaRegistryPort } from "./schema-registry";
import type { ConnectionSpec, EnvironmentValue } from "./spec";
import { connectionTo } from "./spec";
import type { Target } from "./target";
import { producerBuildArgs } from "./versions";

/** Arguments of {@link Producer}. */
export interface ProducerArgs {
  readonly target: Target;
  readonly kafka: Kafka;
  readonly topic: KafkaTopic;
  /** For Avro records. @default undefined */
  readonly schemaRegistry?: SchemaRegistry;
  /** Value encoding. @default "json" */
  readonly format?: "json" | "avro";
  /**
   * A producer image built elsewhere (a CI pipeline, a registry mirror): used as is, nothing is built.
   * @default built here from producer/Dockerfile
   */
  readonly image?: pulumi.Input<string>;
  /** Image tag when built here. @default a content hash of producer/, contracts/ and the lockfile */
  readonly imageTag?: string;
  /** Build context (the checkout root: the image installs from the root lockfile). @default this checkout's root */
  readonly buildContext?: string;
  /**
   * The principal a run produces as (a {@link KafkaUser}'s credentials, allowed to write the topic);
   * required when the cluster authenticates. @default undefined
   */
  readonly credentials?: KafkaCredentials;
}

/** The `PRODUCER_*` environment of one run (the CLI reads the same names). */
export function producerEnvironment(
  bootstrapServers: string,
  topic: string,
  format: "json" | "avro",
  schemaRegistryUrl: string | undefined,
): Record<string, string> {
  return {
    PRODUCER_BROKERS: bootstrapServers,
    PRODUCER_TOPIC: topic,
    PRODUCER_FORMAT: format,
    ...(schemaRegistryUrl ? { PRODUCER_SCHEMA_REGISTRY: schemaRegistryUrl } : {}),
  };
}

/** The env names the producer CLI reads its credentials from (a password is never a flag: flags show in `ps`). */
export const producerCredentialNames = {
  username: "PRODUCER_SASL_USERNAME",
  password: "PRODUCER_SASL_PASSWORD",
} as const;

/** The credentials' env of one run: the username, and the password as a secret reference. */
export function producerCredentialEnvironment(
  credentials: KafkaCredentials,
): Record<string, EnvironmentValue> {
  return {
    [producerCredentialNames.username]: credentials.username,
    [producerCredentialNames.password]: { secret: credentials.password },
  };
}

/** Builds producer/Dockerfile through the target; the tag is a content hash unless `imageTag` is given. */
function buildProducerImage(args: ProducerArgs, parent: pulumi.Resource): pulumi.Output<string> {
  const context = args.buildContext ?? repositoryRoot();
  const buildArgs = producerBuildArgs();
  const tag =
    args.imageTag ??
    contentTag(
      "0.1.0",
      context,
      ["producer/src", "producer/package.json", "producer/Dockerfile", "contracts", "package-lock.json"],
      buildArgs,
    );
  return args.target.buildImage(
    { name: "data-pipeline-producer", context, dockerfile: `${context}/producer/Dockerfile`, tag, buildArgs },
    parent,
  );
}

/** The producer image and its run environment. */
export class Producer extends pulumi.ComponentResource {
  /** The image reference a runner (Airflow) starts. */
  public readonly image: pulumi.Output<string>;
  /** Environment of a run, without the record count. */
  public readonly environment: Readonly<Record<string, string>>;
  /** The component name a runner labels its containers with. */
  public readonly component = "producer";
  /** The services a run connects to: the brokers, and Schema Registry for Avro. */
  public readonly connections: readonly ConnectionSpec[];
  /**
   * The principal a run produces as; a runner hands them to each run as secret env
   * ({@link producerCredentialEnvironment}) and starts runs after `credentials.workload`.
   */
  public readonly credentials: KafkaCredentials | undefined;

  constructor(name: string, args: ProducerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:producer:Producer", name, {}, opts);
    const format = args.format ?? "json";
    if (format === "avro" && !args.schemaRegistry) {
      throw new pulumi.ResourceError(
        `Unable to create Producer ${name}: Avro records need \`schemaRegistry\`.`,
        this,
      );
    }
    const credentialsProblem = kafkaCredentialsProblem(args.kafka, args.credentials);
    if (credentialsProblem) {
      throw new pulumi.ResourceError(`Unable to create Producer ${name}: ${credentialsProblem}.`, this);
    }
    this.credentials = args.credentials;
    this.image = pulumi.output(args.image ?? buildProducerImage(args, this));
    this.environment = producerEnvironment(
      args.kafka.bootstrapServers,
      args.topic.topicName,
      format,
      args.schemaRegistry?.url,
    );
    this.connections = [
      connectionTo(args.kafka.workload, [kafkaPorts.internal]),
      ...(format === "avro" && args.schemaRegistry
        ? [connectionTo(args.schemaRegistry.workload, [schemaRegistryPort])]
        : []),
    ];
    this.registerOutputs({ image: this.image, environment: this.environment });
  }
}
