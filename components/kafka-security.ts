/**
 * Kafka authentication and authorization as data: SASL/SCRAM-SHA-512 on every listener a client or
 * another broker uses, one principal per workload, and the ACLs each principal needs and nothing
 * more. The Kafka and KafkaUser components turn this into broker settings and idempotent
 * `kafka-configs`/`kafka-acls` jobs; the test harness (tests/harness/services/kafka.ts) starts its
 * brokers with the same properties and applies the same ACLs, so a real broker proves them.
 *
 * Nothing here knows a provider SDK; passwords are passed in and never stored.
 */
import type { SecretReference, Workload } from "./spec";

/**
 * The Secret of a principal's credentials (`kafka-user-producer` for the default service name
 * `kafka`), with keys `username`, `password` and `sasl.jaas.config` (the admin's also holds KRaft's
 * `controller.sasl.jaas.config`).
 */
export function kafkaUserSecretName(kafkaServiceName: string, principal: string): string {
  return `${kafkaServiceName}-user-${principal}`;
}

/** A principal's credentials as a workload's env takes them: its name and references to its Secret. */
export interface KafkaCredentials {
  /** The principal (`User:<username>` in ACLs). */
  readonly username: string;
  /** The Secret that holds them ({@link kafkaUserSecretName}). */
  readonly secretName: string;
  /** The username as a reference to the Secret's `username` key (for clients that take both from it). */
  readonly usernameReference: SecretReference;
  /** The password (key `password`). */
  readonly password: SecretReference;
  /** A Java client's `sasl.jaas.config` for SCRAM (key `sasl.jaas.config`). */
  readonly jaasConfig: SecretReference;
  /** The workload that registers the credential; a client starts after it. @default none */
  readonly workload?: Workload;
}

/** The SASL mechanism of every client and inter-broker listener. */
export const scramMechanism = "SCRAM-SHA-512";

/**
 * The KRaft controller listener's mechanism. SCRAM credentials live in the metadata log the
 * controllers serve, so controllers cannot authenticate each other with SCRAM (KIP-554); they use
 * PLAIN with the admin principal declared in the listener's own JAAS config. Only brokers reach it.
 */
export const controllerMechanism = "PLAIN";

/** `kafka.authentication` of the stack: SCRAM with ACLs (the default), or no security at all. */
export const kafkaAuthentications = ["scram-sha-512", "none"] as const;
export type KafkaAuthentication = (typeof kafkaAuthentications)[number];

/** The super user: brokers talk to each other as it, and the KafkaUser jobs manage users and ACLs as it. */
export const adminPrincipal = "admin";

/** The pipeline's principals besides the admin, one per workload that talks to Kafka. */
export const pipelinePrincipals = [
  "producer",
  "streaming-job",
  "schema-registry",
  "control-center",
  "topic-job",
  "airflow",
] as const;
export type PipelinePrincipal = (typeof pipelinePrincipals)[number];

/** An ACL operation, spelt as `kafka-acls --operation` takes it. */
export type AclOperation =
  | "Read"
  | "Write"
  | "Create"
  | "Delete"
  | "Alter"
  | "Describe"
  | "DescribeConfigs"
  | "AlterConfigs"
  | "IdempotentWrite"
  | "All";

/** What an ACL is about. */
export type AclResourceType = "topic" | "group" | "cluster" | "transactional-id";

/** One allow rule for a principal: operations on a resource, by literal name or name prefix. */
export interface AclRule {
  readonly resourceType: AclResourceType;
  /** Resource name (`kafka-cluster` for the cluster); a prefix when {@link AclRule.patternType} is `prefixed`. */
  readonly name: string;
  readonly patternType: "literal" | "prefixed";
  readonly operations: readonly AclOperation[];
}

/** The names the pipeline's ACLs are about. */
export interface PipelineAclInputs {
  /** The topic the producer writes and the streaming job reads. */
  readonly usersTopic: string;
  /** The streaming job's dead-letter topic. */
  readonly deadLetterTopic: string;
  /** Every topic the topic jobs create and configure (the users and dead-letter topics included). */
  readonly managedTopics: readonly string[];
  /** The prefix of the streaming job's consumer group ids (Spark's `groupIdPrefix`). */
  readonly jobGroupPrefix: string;
  /** Schema Registry's store topic (`kafkastore.topic`). @default "_schemas" */
  readonly schemaRegistryTopic?: string;
  /** Schema Registry's group (`schema.registry.group.id`). @default "schema-registry" */
  readonly schemaRegistryGroup?: string;
}

/** The Spark job's consumer group id prefix (its option `groupIdPrefix`); the job's ACLs name it. */
export const defaultJobGroupPrefix = "users-stream";

/**
 * Least privilege per principal:
 * - producer: writes the users topic (Write implies idempotent writes since Kafka 2.8, KIP-679) and
 *   looks it up; reads nothing.
 * - streaming-job: reads the users topic with its own group prefix; writes the dead-letter topic.
 * - schema-registry: its store topic (created on first start) and its leader-election group.
 * - control-center: its own `_confluent` topics and groups (it creates them), and describe-only
 *   access to the cluster, every topic and every group to show them; it cannot read or write data.
 * - topic-job: creates and configures exactly the managed topics.
 * - airflow: checks that the users topic exists (the DAG's first task).
 */
export function pipelineAcls(inputs: PipelineAclInputs): Record<PipelinePrincipal, readonly AclRule[]> {
  const topic = (name: string, ...operations: AclOperation[]): AclRule => ({
    resourceType: "topic",
    name,
    patternType: "literal",
    operations,
  });
  const schemasTopic = inputs.schemaRegistryTopic ?? "_schemas";
  const schemasGroup = inputs.schemaRegistryGroup ?? "schema-registry";
  return {
    producer: [topic(inputs.usersTopic, "Write", "Describe")],
    "streaming-job": [
      topic(inputs.usersTopic, "Read", "Describe"),
      { resourceType: "group", name: inputs.jobGroupPrefix, patternType: "prefixed", operations: ["Read"] },
      topic(inputs.deadLetterTopic, "Write", "Describe"),
    ],
    "schema-registry": [
      topic(schemasTopic, "Create", "Read", "Write", "Describe", "DescribeConfigs"),
      { resourceType: "group", name: schemasGroup, patternType: "literal", operations: ["Read", "Describe"] },
      { resourceType: "cluster", name: "kafka-cluster", patternType: "literal", operations: ["Describe"] },
    ],
    "control-center": [
      { resourceType: "topic", name: "_confluent", patternType: "prefixed", operations: ["All"] },
      { resourceType: "group", name: "_confluent", patternType: "prefixed", operations: ["All"] },
      {
        resourceType: "transactional-id",
        name: "_confluent",
        patternType: "prefixed",
        operations: ["All"],
      },
      {
        resourceType: "cluster",
        name: "kafka-cluster",
        patternType: "literal",
        operations: ["Describe", "DescribeConfigs", "Create"],
      },
      {
        resourceType: "topic",
        name: "*",
        patternType: "literal",
        operations: ["Describe", "DescribeConfigs"],
      },
      { resourceType: "group", name: "*", patternType: "literal", operations: ["Describe"] },
    ],
    "topic-job": inputs.managedTopics.map((name) =>
      topic(name, "Create", "Describe", "Alter", "DescribeConfigs", "AlterConfigs"),
    ),
    airflow: [topic(inputs.usersTopic, "Describe")],
  };
}

/**
 * The `kafka-acls` arguments that add one rule for a principal (after `--bootstrap-server` and
 * `--command-config`). Adding an ACL that exists is a no-op, so re-running converges.
 */
export function kafkaAclsAddArguments(principal: string, rule: AclRule): string[] {
  const resource =
    rule.resourceType === "cluster"
      ? ["--cluster"]
      : [`--${rule.resourceType}`, rule.name, "--resource-pattern-type", rule.patternType];
  return [
    "--add",
    "--allow-principal",
    `User:${principal}`,
    ...rule.operations.flatMap((operation) => ["--operation", operation]),
    ...resource,
  ];
}

/** A JAAS value in double quotes (`\` and `"` escaped, as Kafka's JAAS parser reads them). */
function jaasQuoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The client `sasl.jaas.config` for SCRAM. */
export function scramJaasConfig(username: string, password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasQuoted(username)} password=${jaasQuoted(password)};`;
}

/**
 * The KRaft controller listener's `sasl.jaas.config` (PLAIN): the client half (the admin's
 * username and password, used by brokers and controllers to reach the quorum) and the server half
 * (`user_admin`, the only account the listener accepts).
 */
export function controllerJaasConfig(password: string): string {
  const quoted = jaasQuoted(password);
  return `org.apache.kafka.common.security.plain.PlainLoginModule required username=${jaasQuoted(adminPrincipal)} password=${quoted} user_${adminPrincipal}=${quoted};`;
}

/** A client's security properties (Java client names; librdkafka and kafkajs take the same three facts). */
export function clientSecurityProperties(username: string, password: string): Record<string, string> {
  return {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": scramMechanism,
    "sasl.jaas.config": scramJaasConfig(username, password),
  };
}

/** The Kafka metadata modes the broker settings differ by. */
export type SecurityMode = "zookeeper" | "kraft";

/**
 * The broker properties that hold no secret: SCRAM on the client listeners, SCRAM between brokers,
 * the mode's ACL authorizer with no "allow everyone" fallback, and the admin as the only super user.
 */
export function brokerSecurityProperties(
  mode: SecurityMode,
  clientListeners: readonly string[],
): Record<string, string> {
  const properties: Record<string, string> = {
    "sasl.enabled.mechanisms": scramMechanism,
    "sasl.mechanism.inter.broker.protocol": scramMechanism,
    "authorizer.class.name":
      mode === "kraft"
        ? "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
        : "kafka.security.authorizer.AclAuthorizer",
    "allow.everyone.if.no.acl.found": "false",
    "super.users": `User:${adminPrincipal}`,
  };
  for (const listener of clientListeners) {
    properties[`listener.name.${listener.toLowerCase()}.sasl.enabled.mechanisms`] = scramMechanism;
  }
  if (mode === "kraft") {
    properties["sasl.mechanism.controller.protocol"] = controllerMechanism;
    properties["listener.name.controller.sasl.enabled.mechanisms"] = controllerMechanism;
  }
  return properties;
}

/**
 * The broker properties that hold the admin password: the inter-broker SCRAM login on every client
 * listener and, in KRaft mode, the controller listener's PLAIN accounts.
 */
export function brokerSecretProperties(
  mode: SecurityMode,
  clientListeners: readonly string[],
  adminPassword: string,
): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const listener of clientListeners) {
    properties[`listener.name.${listener.toLowerCase()}.scram-sha-512.sasl.jaas.config`] = scramJaasConfig(
      adminPrincipal,
      adminPassword,
    );
  }
  if (mode === "kraft") {
    properties["listener.name.controller.plain.sasl.jaas.config"] = controllerJaasConfig(adminPassword);
  }
  return properties;
}

/**
 * The environment variable the Confluent images read a property from: `PREFIX_` plus the property
 * with `-` as `___`, `_` as `__` and `.` as `_`, upper-cased (cp-kafka's `KAFKA_`, Schema Registry's
 * `SCHEMA_REGISTRY_KAFKASTORE_`, Control Center's `CONTROL_CENTER_STREAMS_`).
 */
export function confluentEnvironmentName(prefix: string, property: string): string {
  return prefix + property.replace(/_/g, "__").replace(/-/g, "___").replace(/\./g, "_").toUpperCase();
}

/**
 * The SCRAM `--add-config` value for a password. Kafka's config syntax splits on `,` and `]`, so
 * the generated passwords are alphanumeric (RandomPassword with `special: false`); anything else is
 * refused here rather than written half.
 */
export function scramCredentialConfig(password: string, name?: string): string {
  if (!/^[A-Za-z0-9]+$/.test(password)) {
    throw new Error("Unable to write a SCRAM credential: the password must be alphanumeric.");
  }
  return name === undefined
    ? `${scramMechanism}=[password=${password}]`
    : `${scramMechanism}=[name=${name},password=${password}]`;
}

/**
 * A value in shell double quotes with `$NAME`/`${NAME}` left to expand: `"`, `\`, `` ` `` escaped.
 * The text is written by this module; only the variables come from the environment.
 */
function shellDoubleQuoted(text: string): string {
  return `"${text.replace(/[\\"`]/g, (character) => `\\${character}`)}"`;
}

/** Environment variables a client's credentials are read from: username and password, or a whole JAAS config. */
export type CredentialVariables =
  { readonly username: string; readonly password: string } | { readonly jaasConfig: string };

/**
 * A shell command that writes a client's SASL/SCRAM properties ({@link clientSecurityProperties})
 * to `file` from environment variables. `printf` is a shell builtin, so the password appears in no
 * process list; the variables must hold what the credential helpers here make (alphanumeric
 * passwords, usernames without quotes).
 */
export function clientPropertiesCommand(file: string, variables: CredentialVariables): string {
  const properties =
    "jaasConfig" in variables
      ? { ...clientSecurityProperties("", ""), "sasl.jaas.config": `\${${variables.jaasConfig}}` }
      : clientSecurityProperties(`\${${variables.username}}`, `\${${variables.password}}`);
  const lines = Object.entries(properties).map(([key, value]) => shellDoubleQuoted(`${key}=${value}`));
  return `printf '%s\\n' ${lines.join(" ")} > ${shellDoubleQuoted(file)}`;
}

/**
 * A shell command that writes the SCRAM credential of the password in `passwordVariable` as the
 * properties file `kafka-configs --add-config-file` reads: one `SCRAM-SHA-512=password=...` line
 * (a file's values are not bracketed as `--add-config`'s are, {@link scramCredentialConfig}). A
 * file keeps the password out of the command line, which `ps` shows and `kafka-configs` prints
 * when it fails.
 */
export function scramCredentialFileCommand(file: string, passwordVariable: string): string {
  return `printf '%s\\n' ${shellDoubleQuoted(`${scramMechanism}=password=\${${passwordVariable}}`)} > ${shellDoubleQuoted(file)}`;
}
