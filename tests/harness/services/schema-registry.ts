import { join } from "node:path";
import { clientSecurityProperties, pipelineAcls } from "../../../components/kafka-security";
import type { AclRule } from "../../../components/kafka-security";
import {
  defineService,
  findJava,
  freePorts,
  httpReady,
  loopback,
  resolveMaven,
  startJavaProcess,
} from "../lib";
import type { KafkaEndpoint } from "./kafka";
import { grantAcls, pipelineAclInputs } from "./kafka-acls";
import { kafkaToolsOf } from "./kafka-auth";

/** Where the Schema-Registry-compatible server listens (no credentials on its HTTP API). */
export interface SchemaRegistryEndpoint {
  /** Confluent-compatible API base, `http://127.0.0.1:<port>/apis/ccompat/v7`: give it to Confluent clients. */
  readonly url: string;
  /** Apicurio's own REST API, `http://127.0.0.1:<port>/apis/registry/v3`. */
  readonly nativeUrl: string;
  /** Readiness endpoint on the management port. */
  readonly healthUrl: string;
}

/** Apicurio's journal topic: the product's Schema Registry store topic name (`kafkastore.topic`). */
export const registryJournalTopic = "_schemas";
/** Apicurio's snapshots topic (Confluent's registry has none). */
export const registrySnapshotsTopic = "_schemas_snapshots";
/** Apicurio's events topic, which kafkasql storage creates at start (Confluent's registry has none). */
export const registryEventsTopic = "_schemas_events";
/** Apicurio's consumer groups: this prefix plus a fresh UUID on each start (it replays the journal). */
export const registryGroupPrefix = "schema-registry";

/**
 * The schema-registry principal's ACLs for Apicurio: the product's rules (`pipelineAcls`) for the
 * journal topic and the cluster, plus what this stand-in does differently from Confluent's registry
 * (snapshots and events topics, and a fresh group per start, so a prefixed group rule as well).
 */
export function registryAcls(): AclRule[] {
  const product = pipelineAcls({
    ...pipelineAclInputs("users"),
    schemaRegistryTopic: registryJournalTopic,
    schemaRegistryGroup: registryGroupPrefix,
  })["schema-registry"];
  const journal = product.find((rule) => rule.resourceType === "topic");
  return [
    ...product,
    ...(journal ? [registrySnapshotsTopic, registryEventsTopic].map((name) => ({ ...journal, name })) : []),
    {
      resourceType: "group",
      name: registryGroupPrefix,
      patternType: "prefixed",
      operations: ["Read", "Describe"],
    },
  ];
}

/**
 * Apicurio Registry 3 (Quarkus) storing in the harness Kafka (`kafkasql`) as the schema-registry
 * principal, over SASL/SCRAM with the ACLs of {@link registryAcls}; readiness by its health endpoint,
 * which waits until the journal is read.
 */
export const schemaRegistryService = defineService<SchemaRegistryEndpoint>({
  name: "registry",
  description:
    "Apicurio Registry 3.3.3 (Confluent-compatible API at /apis/ccompat/v7, kafkasql storage as the schema-registry principal)",
  dependencies: () => ["kafka"],
  prepare: async () => void (await resolveMaven("registry", { layout: "unpack" })),
  async start(context) {
    const { directory } = await resolveMaven("registry", { layout: "unpack" });
    const java = findJava("registry", { minimum: 21 });
    const kafka = context.dependency<KafkaEndpoint>("kafka");
    await grantAcls(await kafkaToolsOf(context.run), kafka, "schema-registry", registryAcls());
    const login = kafka.principals["schema-registry"];
    const security = clientSecurityProperties(login.username, login.password);
    const [port = 0, managementPort = 0] = await freePorts(2);
    const healthUrl = `http://${loopback}:${managementPort}/health/ready`;
    const settings: Record<string, string | number> = {
      "quarkus.http.host": loopback,
      "quarkus.http.port": port,
      "quarkus.management.host": loopback,
      "quarkus.management.port": managementPort,
      "quarkus.otel.sdk.disabled": "true",
      "apicurio.storage.kind": "kafkasql",
      "apicurio.kafkasql.bootstrap.servers": kafka.bootstrap,
      "apicurio.kafkasql.topic": registryJournalTopic,
      "apicurio.kafkasql.snapshots.topic": registrySnapshotsTopic,
      "apicurio.kafkasql.consumer.group-prefix": registryGroupPrefix,
      "apicurio.events.kafka.topic": registryEventsTopic,
      "apicurio.kafkasql.security.protocol": security["security.protocol"] ?? "",
      // Passed through to Apicurio's producer, consumer and admin client alike.
      "apicurio.kafka.common.sasl.mechanism": security["sasl.mechanism"] ?? "",
      "apicurio.kafka.common.sasl.jaas.config": security["sasl.jaas.config"] ?? "",
      "apicurio.storage.snapshot.location": context.dataDir,
      "apicurio.import.work-dir": context.dataDir,
      "java.io.tmpdir": context.dataDir,
    };
    const registry = await startJavaProcess({
      service: "registry",
      stateDir: context.stateDir,
      logDir: context.logDir,
      java,
      classpath: [],
      jar: join(directory, "quarkus-run.jar"),
      jvmArgs: [
        "-Xmx384m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        ...Object.entries(settings).map(([key, value]) => `-D${key}=${value}`),
      ],
      cwd: context.stateDir,
      ports: [port, managementPort],
      readiness: httpReady(healthUrl),
      readinessTimeoutMs: 120_000,
    });
    const base = `http://${loopback}:${port}`;
    return {
      endpoint: { url: `${base}/apis/ccompat/v7`, nativeUrl: `${base}/apis/registry/v3`, healthUrl },
      processes: [registry],
    };
  },
});
