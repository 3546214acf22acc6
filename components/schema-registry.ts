/**
 * Schema Registry (cp-schema-registry): stores Avro schemas in Kafka and serves them over HTTP.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Kafka } from "./kafka";
import {
  javaClientSecurityEnvironment,
  kafkaClientDependencies,
  kafkaCredentialsProblem,
} from "./kafka-authentication";
import type { KafkaCredentials } from "./kafka-security";
import type { EnvironmentValue, ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { confluentImage, confluentPlatformVersion, confluentUser } from "./versions";

/** The HTTP port inside the container. */
export const schemaRegistryPort = 8081;

/** Arguments of {@link SchemaRegistry}. */
export interface SchemaRegistryArgs {
  readonly target: Target;
  readonly kafka: Kafka;
  /** Confluent Platform version of the image. @default confluentPlatformVersion */
  readonly version?: string;
  /** Service name. @default "schema-registry" */
  readonly serviceName?: string;
  /** Host port on Docker. @default undefined (not published) */
  readonly hostPort?: number;
  /** Memory limit in MiB; the JVM heap gets half. @default 512 */
  readonly memoryMiB?: number;
  /** CPU limit in cores. @default 0.5 */
  readonly cpu?: number;
  /**
   * The principal its store connects as (a {@link KafkaUser}'s credentials, allowed its store topic,
   * its group and to describe the cluster); required when the cluster authenticates. @default undefined
   */
  readonly credentials?: KafkaCredentials;
}

/**
 * The cp-schema-registry environment. The store's servers carry the protocol prefix: Schema Registry
 * keeps only the endpoints of its `kafkastore.security.protocol`.
 */
export function schemaRegistryEnvironment(
  target: Target,
  serviceName: string,
  kafka: Pick<Kafka, "bootstrapServers" | "brokers" | "securityProtocol">,
  memoryMiB: number,
  credentials?: KafkaCredentials,
): Record<string, EnvironmentValue> {
  const heap = Math.max(128, Math.floor(memoryMiB / 2));
  return {
    SCHEMA_REGISTRY_HOST_NAME: target.serviceHost(serviceName),
    SCHEMA_REGISTRY_LISTENERS: `http://0.0.0.0:${schemaRegistryPort}`,
    SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: kafka.bootstrapServers
      .split(",")
      .map((server) => `${kafka.securityProtocol}://${server}`)
      .join(","),
    SCHEMA_REGISTRY_KAFKASTORE_TOPIC: "_schemas",
    SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR: String(Math.min(3, kafka.brokers)),
    SCHEMA_REGISTRY_HEAP_OPTS: `-Xms${heap}m -Xmx${heap}m`,
    // Also the start-up check's client (cub kafka-ready reads every SCHEMA_REGISTRY_KAFKASTORE_* setting).
    ...javaClientSecurityEnvironment("SCHEMA_REGISTRY_KAFKASTORE_", credentials),
  };
}

/** A Schema Registry instance. */
export class SchemaRegistry extends pulumi.ComponentResource {
  /** In-network URL (`http://schema-registry:8081`). */
  public readonly url: string;
  /** Host URL on Docker (`http://localhost:<port>`), undefined where nothing is published. */
  public readonly hostUrl: string | undefined;
  /** The deployed workload, for start ordering. */
  public readonly workload: Workload;
  /** The neutral spec this component rendered. */
  public readonly spec: ServiceSpec;

  constructor(name: string, args: SchemaRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:schema-registry:SchemaRegistry", name, {}, opts);
    const version = args.version ?? confluentPlatformVersion;
    const serviceName = args.serviceName ?? "schema-registry";
    const memoryMiB = args.memoryMiB ?? 512;
    const cpu = args.cpu ?? 0.5;
    const credentialsProblem = kafkaCredentialsProblem(args.kafka, args.credentials);
    if (credentialsProblem) {
      throw new pulumi.ResourceError(`Unable to create SchemaRegistry ${name}: ${credentialsProblem}.`, this);
    }
    const publish = args.target.publishesHostPorts && args.hostPort !== undefined;
    this.url = `http://${args.target.serviceHost(serviceName)}:${schemaRegistryPort}`;
    this.hostUrl = publish ? `http://localhost:${args.hostPort}` : undefined;
    this.spec = {
      name: serviceName,
      component: "schema-registry",
      image: confluentImage("cp-schema-registry", version),
      env: schemaRegistryEnvironment(args.target, serviceName, args.kafka, memoryMiB, args.credentials),
      ports: [
        {
          name: "http",
          containerPort: schemaRegistryPort,
          ...(args.hostPort !== undefined ? { publish: { hostPort: args.hostPort } } : {}),
        },
      ],
      healthCheck: {
        probe: { kind: "http", path: "/subjects", port: schemaRegistryPort },
        startPeriodSeconds: 60,
      },
      resources: {
        cpuRequest: cpu / 2,
        cpuLimit: cpu,
        memoryRequestMiB: memoryMiB,
        memoryLimitMiB: memoryMiB,
      },
      runAs: confluentUser,
      dependsOn: kafkaClientDependencies(args.kafka, args.credentials),
    };
    this.workload = args.target.deployService(this.spec, this);
    this.registerOutputs({ url: this.url, hostUrl: this.hostUrl });
  }
}
