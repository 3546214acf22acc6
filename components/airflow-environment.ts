/**
 * The environment every Airflow process shares, as pure functions: one metadata database, one Fernet
 * key, one JWT secret, LocalExecutor, and the connections and variables the users_pipeline DAG reads
 * (`AIRFLOW_CONN_*`, `AIRFLOW_VAR_*`, see dags/README.md).
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentValues, LauncherVariables } from "../contracts/interfaces";
import { airflowVariables } from "../contracts/interfaces";
import { describedEnvironment } from "./environment";
import type { EnvironmentValue } from "./spec";

/** The api-server's port. */
export const airflowApiPort = 8080;

/** Secret inputs shared by every Airflow process. */
export interface AirflowSecrets {
  readonly secretName: string;
  readonly databasePassword: pulumi.Input<string>;
  readonly fernetKey: pulumi.Input<string>;
  readonly jwtSecret: pulumi.Input<string>;
  readonly apiSecretKey: pulumi.Input<string>;
  readonly adminPassword: pulumi.Input<string>;
  readonly cassandraPassword: pulumi.Input<string>;
}

/** What the DAG needs to know about the pipeline. */
export interface AirflowPipelineSettings {
  readonly databaseHost: string;
  readonly apiServerHost: string;
  readonly schedule: string;
  readonly bootstrapServers: string;
  readonly topic: string;
  readonly producerImage: pulumi.Input<string>;
  readonly producerEnvironment: Readonly<Record<string, string>>;
  readonly producerCount: number;
  readonly verifyTimeoutSeconds: number;
  readonly cassandraHosts: string;
  readonly cassandraPort: number;
  readonly cassandraUsername: string;
  readonly cassandraKeyspace: string;
  readonly cassandraTable: string;
  readonly cassandraDatacenter: string;
  /** Variables of the target's container launcher (PIPELINE_TARGET, DOCKER_URL, ...). */
  readonly launcherVariables: LauncherVariables;
}

/** A secret env value: a key of the shared Airflow secret. */
function secretValue(secrets: AirflowSecrets, key: string, value: pulumi.Input<string>): EnvironmentValue {
  return { secret: { secretName: secrets.secretName, key, value } };
}

/**
 * The Fernet key from 32 random bytes given as base64 (standard or URL-safe, padded or not): URL-safe
 * base64 with padding, as cryptography expects.
 */
export function fernetKeyFrom(base64: string): string {
  return Buffer.from(base64, "base64").toString("base64url").padEnd(44, "=");
}

/** The `kafka_default` connection (`AIRFLOW_CONN_KAFKA_DEFAULT`, JSON form). */
export function kafkaConnection(bootstrapServers: string): Record<string, unknown> {
  return { conn_type: "kafka", extra: { "bootstrap.servers": bootstrapServers } };
}

/** The `cassandra_default` connection (`AIRFLOW_CONN_CASSANDRA_DEFAULT`, JSON form): every contact point in `host`. */
export function cassandraConnection<P>(cassandra: {
  readonly hosts: string;
  readonly port: number;
  readonly username: string;
  readonly password: P;
  readonly keyspace: string;
  readonly datacenter: string;
}): Record<string, unknown> {
  return {
    conn_type: "cassandra",
    host: cassandra.hosts,
    port: cassandra.port,
    login: cassandra.username,
    password: cassandra.password,
    schema: cassandra.keyspace,
    extra: { local_dc: cassandra.datacenter },
  };
}

/** The environment of every Airflow process (api-server, scheduler, dag-processor, triggerer, migration). */
export function airflowEnvironment(
  settings: AirflowPipelineSettings,
  secrets: AirflowSecrets,
): Record<string, EnvironmentValue> {
  const cassandraSecret = pulumi.jsonStringify(
    cassandraConnection({
      hosts: settings.cassandraHosts,
      port: settings.cassandraPort,
      username: settings.cassandraUsername,
      password: secrets.cassandraPassword,
      keyspace: settings.cassandraKeyspace,
      datacenter: settings.cassandraDatacenter,
    }),
  );
  const databaseUrl = pulumi.interpolate`postgresql+psycopg2://airflow:${secrets.databasePassword}@${settings.databaseHost}:5432/airflow`;
  // PIPELINE_TARGET is required of every launcher: airflowVariablesEnvironment says so if it is missing.
  const launcher = Object.fromEntries(
    Object.entries(settings.launcherVariables).map(([key, value]) => [`AIRFLOW_VAR_${key}`, value]),
  ) as Pick<AirflowVariablesValues, "AIRFLOW_VAR_PIPELINE_TARGET"> & Partial<AirflowVariablesValues>;
  return {
    AIRFLOW__CORE__EXECUTOR: "LocalExecutor",
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: "False",
    AIRFLOW__CORE__AUTH_MANAGER: "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://${settings.apiServerHost}:${airflowApiPort}/execution/`,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: secretValue(secrets, "database-url", databaseUrl),
    AIRFLOW__CORE__FERNET_KEY: secretValue(secrets, "fernet-key", secrets.fernetKey),
    AIRFLOW__API_AUTH__JWT_SECRET: secretValue(secrets, "jwt-secret", secrets.jwtSecret),
    AIRFLOW__API__SECRET_KEY: secretValue(secrets, "api-secret-key", secrets.apiSecretKey),
    AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK: "True",
    ...airflowVariablesEnvironment({
      USERS_PIPELINE_SCHEDULE: settings.schedule,
      // A secret: with Kafka authentication its extra holds `sasl.password` (contracts/interfaces.ts).
      AIRFLOW_CONN_KAFKA_DEFAULT: secretValue(
        secrets,
        "kafka-connection",
        JSON.stringify(kafkaConnection(settings.bootstrapServers)),
      ),
      AIRFLOW_CONN_CASSANDRA_DEFAULT: secretValue(secrets, "cassandra-connection", cassandraSecret),
      AIRFLOW_VAR_USERS_TOPIC: settings.topic,
      AIRFLOW_VAR_PRODUCER_IMAGE: settings.producerImage,
      AIRFLOW_VAR_PRODUCER_COUNT: settings.producerCount,
      AIRFLOW_VAR_PRODUCER_ENV: JSON.stringify(settings.producerEnvironment),
      AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS: settings.verifyTimeoutSeconds,
      AIRFLOW_VAR_CASSANDRA_KEYSPACE: settings.cassandraKeyspace,
      AIRFLOW_VAR_CASSANDRA_TABLE: settings.cassandraTable,
      ...launcher,
    }),
  };
}

/** The values of the DAG's variables, by name (contracts/interfaces.ts). */
export type AirflowVariablesValues = EnvironmentValues<(typeof airflowVariables)[number], EnvironmentValue>;

/**
 * The variables and connections the users_pipeline DAG reads (dags/README.md "Configuration"),
 * checked against their descriptors ({@link describedEnvironment}); throws an error naming each bad one.
 */
export function airflowVariablesEnvironment(
  values: AirflowVariablesValues,
): Record<string, EnvironmentValue> {
  return describedEnvironment(airflowVariables, values);
}

/**
 * The migration job's script: migrate the metadata database, then create the admin login or, when it
 * exists, reset its password to the generated one (so the exported secret is always the valid one).
 */
export const airflowMigrationScript = [
  "set -euo pipefail",
  "airflow db migrate",
  'if airflow users list --output json | grep -q "\\"username\\": \\"$ADMIN_USERNAME\\""; then',
  '  airflow users reset-password --username "$ADMIN_USERNAME" --password "$ADMIN_PASSWORD"',
  "else",
  '  airflow users create --username "$ADMIN_USERNAME" --password "$ADMIN_PASSWORD" --firstname Pipeline --lastname Admin --role Admin --email admin@data-pipeline.invalid',
  "fi",
].join("\n");
