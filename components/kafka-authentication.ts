/**
 * How SASL/SCRAM and the ACL authorizer (kafka-security.ts, the data) apply to the Kafka component
 * and its clients: the brokers' env and start script, the credential Secrets' references, and the
 * checks and env every client component shares.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Kafka, KafkaMode } from "./kafka";
import type { KafkaAuthentication, KafkaCredentials, SecurityMode } from "./kafka-security";
import {
  adminPrincipal,
  brokerSecretProperties,
  brokerSecurityProperties,
  clientSecurityProperties,
  confluentEnvironmentName,
  controllerMechanism,
  scramCredentialFileCommand,
  scramJaasConfig,
  scramMechanism,
} from "./kafka-security";
import type { Dependency, EnvironmentValue, SecretReference, Workload } from "./spec";

/**
 * A generated SCRAM password (a Pulumi secret): 32 alphanumeric characters, so Kafka's SCRAM config
 * syntax, properties files and the JAAS quoting need no escaping.
 */
export function scramPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  return pulumi.secret(new random.RandomPassword(name, { length: 32, special: false }, { parent }).result);
}

/** The security protocol of every listener: SASL without TLS, or nothing. */
export function securityProtocolOf(authentication: KafkaAuthentication): "SASL_PLAINTEXT" | "PLAINTEXT" {
  return authentication === "scram-sha-512" ? "SASL_PLAINTEXT" : "PLAINTEXT";
}

/** The listeners clients (and other brokers) connect to: `INTERNAL`, and `HOST` where published. */
export function clientListenerNames(hostListener: boolean): string[] {
  return hostListener ? ["INTERNAL", "HOST"] : ["INTERNAL"];
}

/** The key of the admin's Secret that holds its client `sasl.jaas.config` (every client listener's broker login). */
export const jaasConfigKey = "sasl.jaas.config";
/** The key of the admin's Secret that holds the KRaft controller listener's PLAIN accounts. */
export const controllerJaasConfigKey = "controller.sasl.jaas.config";

/** The environment variables the broker's start script reads the admin's credential from (not `KAFKA_*`: cp-kafka turns those into broker properties). */
export const adminEnvironmentNames = {
  username: "SASL_ADMIN_USERNAME",
  password: "SASL_ADMIN_PASSWORD",
} as const;

/** A secret reference to one key of a credential Secret whose value is computed from the password. */
function credentialReference(
  secretName: string,
  key: string,
  password: pulumi.Input<string>,
  value: (password: string) => string,
): { readonly secret: SecretReference } {
  return { secret: { secretName, key, value: pulumi.secret(pulumi.output(password).apply(value)) } };
}

/**
 * The broker settings of SASL/SCRAM: the properties without secrets as `KAFKA_*` env
 * ({@link brokerSecurityProperties}), those with the admin password ({@link brokerSecretProperties})
 * as references to the admin's Secret, and the admin's username and password for the start script
 * ({@link brokerStartScript}).
 */
export function brokerSecurityEnvironment(
  mode: SecurityMode,
  clientListeners: readonly string[],
  admin: { readonly secretName: string; readonly password: pulumi.Input<string> },
): Record<string, EnvironmentValue> {
  const env: Record<string, EnvironmentValue> = {};
  for (const [property, value] of Object.entries(brokerSecurityProperties(mode, clientListeners))) {
    env[confluentEnvironmentName("KAFKA_", property)] = value;
  }
  // The properties are the same for any password: their names come from a stand-in.
  const controllerProperty = `listener.name.controller.${controllerMechanism.toLowerCase()}.sasl.jaas.config`;
  for (const property of Object.keys(brokerSecretProperties(mode, clientListeners, "password"))) {
    const key = property === controllerProperty ? controllerJaasConfigKey : jaasConfigKey;
    env[confluentEnvironmentName("KAFKA_", property)] = credentialReference(
      admin.secretName,
      key,
      admin.password,
      (password) => brokerSecretProperties(mode, clientListeners, password)[property] as string,
    );
  }
  env[adminEnvironmentNames.username] = {
    secret: { secretName: admin.secretName, key: "username", value: adminPrincipal },
  };
  env[adminEnvironmentNames.password] = {
    secret: { secretName: admin.secretName, key: "password", value: admin.password },
  };
  return env;
}

/**
 * The broker's start command with SCRAM: the admin's SCRAM credential is written before the broker
 * starts (brokers log in to each other as the admin, so it cannot wait for a running cluster), then
 * Confluent's own steps run (`/etc/confluent/docker/run` is configure, ensure, launch).
 * - ZooKeeper mode: `kafka-configs --zookeeper` stores the credential in ZooKeeper (re-run on every
 *   start: the stored password follows the admin Secret). The credential is read from a file
 *   (`--add-config-file`), so the password is in no command line.
 * - KRaft: the credential is a record of the metadata log, written when the storage is formatted
 *   (`kafka-storage format --add-scram`, KIP-900), which needs the properties `configure` writes, so
 *   the three steps run here with the format between configure and ensure (ensure's own format then
 *   finds the storage formatted, which it accepts). `kafka-storage` takes the credential only on its
 *   command line, visible to `ps` inside the broker's container for the second the format runs. A
 *   formatted storage keeps its first admin password: rotating it is a `kafka-configs
 *   --bootstrap-server` change made with the old one.
 */
export function brokerStartScript(mode: KafkaMode): string {
  const { username, password } = adminEnvironmentNames;
  if (mode === "zookeeper") {
    return [
      "set -euo pipefail",
      'cub zk-ready "$KAFKA_ZOOKEEPER_CONNECT" "${KAFKA_CUB_ZK_TIMEOUT:-40}"',
      'credential="$(mktemp)"',
      `trap 'rm -f "$credential"' EXIT`,
      scramCredentialFileCommand("$credential", password),
      `kafka-configs --zookeeper "$KAFKA_ZOOKEEPER_CONNECT" --alter --entity-type users --entity-name "$${username}" --add-config-file "$credential"`,
      'rm -f "$credential"',
      "exec /etc/confluent/docker/run",
    ].join("\n");
  }
  return [
    "set -euo pipefail",
    "/etc/confluent/docker/configure",
    `kafka-storage format --ignore-formatted --cluster-id "$CLUSTER_ID" --config /etc/kafka/kafka.properties --add-scram "${scramMechanism}=[name=$${username},password=$${password}]"`,
    "/etc/confluent/docker/ensure",
    "exec /etc/confluent/docker/launch",
  ].join("\n");
}

/**
 * A principal's credentials in its Secret (keys `username`, `password` and the Java clients'
 * `sasl.jaas.config`), as references a workload's env takes. On Kubernetes the Secret is created by
 * the first workload that references it, with every key it references: the broker for the admin, the
 * user's job for a {@link KafkaUser}.
 */
export function kafkaCredentials(
  secretName: string,
  username: string,
  password: pulumi.Input<string>,
  workload?: Workload,
): KafkaCredentials {
  return {
    username,
    secretName,
    usernameReference: { secretName, key: "username", value: username },
    password: { secretName, key: "password", value: password },
    jaasConfig: credentialReference(secretName, jaasConfigKey, password, (value) =>
      scramJaasConfig(username, value),
    ).secret,
    ...(workload ? { workload } : {}),
  };
}

/**
 * Why a client's `credentials` do not fit the cluster, or undefined: a cluster that authenticates
 * needs them (a {@link KafkaUser}'s), one that does not refuses them (they would be ignored).
 */
export function kafkaCredentialsProblem(
  kafka: Pick<Kafka, "authentication" | "serviceName">,
  credentials: KafkaCredentials | undefined,
): string | undefined {
  if (kafka.authentication === "scram-sha-512" && !credentials) {
    return `Kafka ${kafka.serviceName} authenticates clients. Pass \`credentials\` (a KafkaUser's, with the ACLs this client needs)`;
  }
  if (kafka.authentication === "none" && credentials) {
    return `Kafka ${kafka.serviceName} has authentication "none", so \`credentials\` would be ignored. Drop them`;
  }
  return undefined;
}

/**
 * A Java client's security properties for `credentials` (none without them), each under `prefix` as
 * the Confluent images read them (`SCHEMA_REGISTRY_KAFKASTORE_`, `CONTROL_CENTER_STREAMS_`): the
 * protocol and mechanism in plain text, the JAAS config as a secret reference.
 */
export function javaClientSecurityEnvironment(
  prefix: string,
  credentials: KafkaCredentials | undefined,
): Record<string, EnvironmentValue> {
  if (!credentials) return {};
  // The protocol and mechanism of clientSecurityProperties; its JAAS config from the Secret.
  const properties = clientSecurityProperties(credentials.username, "");
  return Object.fromEntries(
    Object.entries(properties).map(([property, value]) => [
      confluentEnvironmentName(prefix, property),
      property === "sasl.jaas.config" ? { secret: credentials.jaasConfig } : value,
    ]),
  );
}

/** What a client waits for: the brokers, and the job that registers its credential. */
export function kafkaClientDependencies(
  kafka: Pick<Kafka, "workload">,
  credentials: KafkaCredentials | undefined,
): Dependency[] {
  return [
    { workload: kafka.workload },
    ...(credentials?.workload ? [{ workload: credentials.workload }] : []),
  ];
}
