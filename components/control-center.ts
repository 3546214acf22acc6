/**
 * Control Center (cp-enterprise-control-center): the Confluent web UI for topics, consumers and schemas.
 *
 * Licence: Control Center is commercial. With one broker it runs under the free developer licence;
 * with more brokers it starts a 30-day trial, after which a licence key is needed. Stacks choose
 * whether to deploy it (`data-pipeline:controlCenter.enabled`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Kafka } from "./kafka";
import {
  javaClientSecurityEnvironment,
  kafkaClientDependencies,
  kafkaCredentialsProblem,
} from "./kafka-authentication";
import type { KafkaCredentials } from "./kafka-security";
import type { SchemaRegistry } from "./schema-registry";
import type { EnvironmentValue, ServiceSpec, Workload } from "./spec";
import type { Target } from "./target";
import { confluentImage, confluentPlatformVersion, confluentUser } from "./versions";

/** The HTTP port inside the container. */
export const controlCenterPort = 9021;

/** Arguments of {@link ControlCenter}. */
export interface ControlCenterArgs {
  readonly target: Target;
  readonly kafka: Kafka;
  readonly schemaRegistry: SchemaRegistry;
  /** Confluent Platform version of the image. @default confluentPlatformVersion */
  readonly version?: string;
  /** Service name. @default "control-center" */
  readonly serviceName?: string;
  /** Host port on Docker. @default undefined (not published) */
  readonly hostPort?: number;
  /** Memory limit in MiB. @default 2048 */
  readonly memoryMiB?: number;
  /** CPU limit in cores. @default 1 */
  readonly cpu?: number;
  /**
   * The principal it connects as (a {@link KafkaUser}'s credentials, allowed its own `_confluent`
   * topics and groups and to describe the rest); required when the cluster authenticates. @default undefined
   */
  readonly credentials?: KafkaCredentials;
}

/**
 * The Control Center environment: Kafka and Schema Registry by their in-network names. With
 * credentials, the `confluent.controlcenter.streams.*` security settings: Control Center's Kafka
 * clients (its streams, admin and message browser consumers) and the image's start-up check (cub
 * kafka-ready reads them) take them; the monitoring interceptor settings are for interceptors
 * installed in other clients, which this pipeline does not install.
 */
export function controlCenterEnvironment(
  kafka: Pick<Kafka, "bootstrapServers" | "brokers">,
  schemaRegistryUrl: string,
  credentials?: KafkaCredentials,
): Record<string, EnvironmentValue> {
  const replication = String(Math.min(3, kafka.brokers));
  return {
    CONTROL_CENTER_BOOTSTRAP_SERVERS: kafka.bootstrapServers,
    CONTROL_CENTER_SCHEMA_REGISTRY_URL: schemaRegistryUrl,
    CONTROL_CENTER_REPLICATION_FACTOR: replication,
    CONTROL_CENTER_INTERNAL_TOPICS_PARTITIONS: "1",
    CONTROL_CENTER_MONITORING_INTERCEPTOR_TOPIC_PARTITIONS: "1",
    CONTROL_CENTER_MONITORING_INTERCEPTOR_TOPIC_REPLICATION: replication,
    CONFLUENT_METRICS_TOPIC_REPLICATION: replication,
    CONTROL_CENTER_REST_LISTENERS: `http://0.0.0.0:${controlCenterPort}`,
    PORT: String(controlCenterPort),
    ...javaClientSecurityEnvironment("CONTROL_CENTER_STREAMS_", credentials),
  };
}

/** A Control Center instance. */
export class ControlCenter extends pulumi.ComponentResource {
  /** In-network URL. */
  public readonly url: string;
  /** Host URL on Docker, undefined where nothing is published. */
  public readonly hostUrl: string | undefined;
  /** The deployed workload. */
  public readonly workload: Workload;
  /** The neutral spec this component rendered. */
  public readonly spec: ServiceSpec;

  constructor(name: string, args: ControlCenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:control-center:ControlCenter", name, {}, opts);
    const version = args.version ?? confluentPlatformVersion;
    const serviceName = args.serviceName ?? "control-center";
    const memoryMiB = args.memoryMiB ?? 2048;
    const cpu = args.cpu ?? 1;
    if (args.kafka.brokers > 1) {
      pulumi.log.warn(
        `ControlCenter: ${args.kafka.brokers} brokers start a 30-day Control Center trial; the free developer licence covers one broker only.`,
        this,
      );
    }
    const credentialsProblem = kafkaCredentialsProblem(args.kafka, args.credentials);
    if (credentialsProblem) {
      throw new pulumi.ResourceError(`Unable to create ControlCenter ${name}: ${credentialsProblem}.`, this);
    }
    const publish = args.target.publishesHostPorts && args.hostPort !== undefined;
    this.url = `http://${args.target.serviceHost(serviceName)}:${controlCenterPort}`;
    this.hostUrl = publish ? `http://localhost:${args.hostPort}` : undefined;
    this.spec = {
      name: serviceName,
      component: "control-center",
      image: confluentImage("cp-enterprise-control-center", version),
      env: controlCenterEnvironment(args.kafka, args.schemaRegistry.url, args.credentials),
      ports: [
        {
          name: "http",
          containerPort: controlCenterPort,
          ...(args.hostPort !== undefined ? { publish: { hostPort: args.hostPort } } : {}),
        },
      ],
      healthCheck: { probe: { kind: "http", path: "/", port: controlCenterPort }, startPeriodSeconds: 180 },
      resources: {
        cpuRequest: cpu / 2,
        cpuLimit: cpu,
        memoryRequestMiB: memoryMiB,
        memoryLimitMiB: memoryMiB,
      },
      runAs: confluentUser,
      dependsOn: [
        ...kafkaClientDependencies(args.kafka, args.credentials),
        { workload: args.schemaRegistry.workload },
      ],
    };
    this.workload = args.target.deployService(this.spec, this);
    this.registerOutputs({ url: this.url, hostUrl: this.hostUrl });
  }
}
