/**
 * The interfaces between processes, as data: the environment of the Spark job (read by
 * spark/users_stream/config.py and spark/submit.sh) and the variables of the users_pipeline DAG
 * (read by dags/users_pipeline_tasks/). Each variable is written here once, with its type, default,
 * required-ness and doc. From these lists come the components' environment builders
 * ({@link environmentOf}), the JSON the Python loaders read (their defaults included), the env of
 * the e2e tests and the tables in spark/README.md and dags/README.md (contracts/generate.ts).
 */

/** How a value is written and checked. */
export type VariableType = "text" | "integer" | "enum" | "json";

/** One environment variable of a process. */
export interface VariableDescriptor {
  /** The environment variable's name. */
  readonly name: string;
  readonly type: VariableType;
  /** What it is for; also the reason a "missing required variable" error gives. */
  readonly doc: string;
  /** The value when unset; `{NAME}` in it stands for the value of the variable NAME. @default none */
  readonly default?: string | number;
  /** Unset is an error. @default false */
  readonly required?: boolean;
  /** Unset is an error when `variable` has one of `values`. @default never */
  readonly requiredWhen?: { readonly variable: string; readonly values: readonly string[] };
  /** A credential: components pass it as a secret reference, never as plain text. @default false */
  readonly secret?: boolean;
  /** The allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** Bounds of an `integer`. @default no bound */
  readonly minimum?: number;
  readonly maximum?: number;
}

/** A variable of the Spark job's container: read by the job (config.py) or by its entrypoint (submit.sh). */
export interface SparkJobVariable extends VariableDescriptor {
  readonly readBy: "job" | "submit";
}

/** When the DAG reads an Airflow variable: while its file is parsed (os.environ) or when a task runs. */
export type AirflowReadTime = "parse" | "task";

/** A variable of every Airflow process that the users_pipeline DAG reads. */
export interface AirflowVariable extends VariableDescriptor {
  readonly readAt: readonly AirflowReadTime[];
}

/** The Spark job's environment, in the order the SparkStreamingJob component writes it. */
export const sparkJobVariables = [
  {
    name: "KAFKA_BOOTSTRAP_SERVERS",
    type: "text",
    required: true,
    doc: "Kafka bootstrap servers, host:port[,host:port]",
    readBy: "job",
  },
  {
    name: "KAFKA_SECURITY_PROTOCOL",
    type: "enum",
    values: ["PLAINTEXT", "SASL_PLAINTEXT"],
    default: "SASL_PLAINTEXT",
    doc: "how the job's Kafka clients (source, dead-letter sink) connect: a SASL/SCRAM-SHA-512 login, or none (a stack with `kafka.authentication: none`)",
    readBy: "job",
  },
  {
    name: "KAFKA_SASL_USERNAME",
    type: "text",
    requiredWhen: { variable: "KAFKA_SECURITY_PROTOCOL", values: ["SASL_PLAINTEXT"] },
    doc: "the job's Kafka principal (SCRAM-SHA-512)",
    readBy: "job",
  },
  {
    name: "KAFKA_SASL_PASSWORD",
    type: "text",
    requiredWhen: { variable: "KAFKA_SECURITY_PROTOCOL", values: ["SASL_PLAINTEXT"] },
    secret: true,
    doc: "the principal's SCRAM password (never logged)",
    readBy: "job",
  },
  {
    name: "KAFKA_TOPIC",
    type: "text",
    default: "users_created",
    doc: "source topic (submit.sh also names the Spark application after it)",
    readBy: "job",
  },
  {
    name: "DLQ_TOPIC",
    type: "text",
    default: "{KAFKA_TOPIC}.dlq",
    doc: "dead-letter topic (must exist; the job does not create it)",
    readBy: "job",
  },
  {
    name: "STARTING_OFFSETS",
    type: "text",
    default: "earliest",
    doc: "first start only; later starts resume from the checkpoint",
    readBy: "job",
  },
  {
    name: "KAFKA_GROUP_ID_PREFIX",
    type: "text",
    default: "users-stream",
    doc: "prefix of the Kafka source's consumer group ids (`groupIdPrefix`); the job's ACLs allow reading with groups of this prefix",
    readBy: "job",
  },
  {
    name: "MAX_OFFSETS_PER_TRIGGER",
    type: "integer",
    minimum: 1,
    default: 100_000,
    doc: "records per micro-batch at most",
    readBy: "job",
  },
  {
    name: "RECORD_FORMAT",
    type: "enum",
    values: ["json", "avro"],
    default: "json",
    doc: "encoding of the topic's values (avro: Confluent wire format)",
    readBy: "job",
  },
  {
    name: "SCHEMA_REGISTRY_URL",
    type: "text",
    requiredWhen: { variable: "RECORD_FORMAT", values: ["avro"] },
    doc: "Confluent-compatible Schema Registry URL",
    readBy: "job",
  },
  {
    name: "CASSANDRA_HOSTS",
    type: "text",
    required: true,
    doc: "comma-separated Cassandra contact points",
    readBy: "job",
  },
  {
    name: "CASSANDRA_PORT",
    type: "integer",
    minimum: 1,
    maximum: 65_535,
    default: 9042,
    doc: "CQL port of every contact point",
    readBy: "job",
  },
  {
    name: "CASSANDRA_USERNAME",
    type: "text",
    doc: "the job's Cassandra login; set both or neither of it and CASSANDRA_PASSWORD",
    readBy: "job",
  },
  {
    name: "CASSANDRA_PASSWORD",
    type: "text",
    secret: true,
    doc: "the login's password",
    readBy: "job",
  },
  {
    name: "CASSANDRA_LOCAL_DC",
    type: "text",
    default: "datacenter1",
    doc: "the driver's local datacenter",
    readBy: "job",
  },
  {
    name: "CASSANDRA_KEYSPACE",
    type: "text",
    default: "pipeline",
    doc: "keyspace of the users table (a CQL identifier)",
    readBy: "job",
  },
  {
    name: "CASSANDRA_TABLE",
    type: "text",
    default: "users",
    doc: "the users table, created beforehand by the schema job from the contract",
    readBy: "job",
  },
  {
    name: "CHECKPOINT_DIR",
    type: "text",
    required: true,
    doc: "checkpoint directory on persistent storage",
    readBy: "job",
  },
  {
    name: "TRIGGER_INTERVAL",
    type: "text",
    default: "5 seconds",
    doc: "micro-batch interval (`500 milliseconds`, `5 seconds`, `1 minute`)",
    readBy: "job",
  },
  {
    name: "BATCH_ATTEMPT_TIMEOUT_SECONDS",
    type: "integer",
    minimum: 10,
    maximum: 86_400,
    default: 300,
    doc: "one write attempt longer than this is cancelled and retried (see Failures)",
    readBy: "job",
  },
  {
    name: "MAX_RECORD_BYTES",
    type: "integer",
    minimum: 1,
    default: 65_536,
    doc: "larger values go to the DLQ as `oversize`",
    readBy: "job",
  },
  {
    name: "BATCH_RETRY_SECONDS",
    type: "integer",
    minimum: 0,
    default: 600,
    doc: "a failing batch (Cassandra/registry down) is retried with backoff this long, then the driver exits",
    readBy: "job",
  },
  {
    name: "CASSANDRA_CONCURRENT_WRITES",
    type: "integer",
    minimum: 1,
    default: 32,
    doc: "connector `output.concurrent.writes` per task",
    readBy: "job",
  },
  {
    name: "CASSANDRA_BATCH_SIZE_ROWS",
    type: "text",
    default: "auto",
    doc: "connector `output.batch.size.rows`",
    readBy: "job",
  },
  {
    name: "CASSANDRA_BATCH_GROUPING_KEY",
    type: "text",
    default: "none",
    doc: "connector `output.batch.grouping.key`",
    readBy: "job",
  },
  {
    name: "KAFKA_MIN_PARTITIONS",
    type: "integer",
    minimum: 1,
    doc: "Kafka source `minPartitions` (more tasks per batch); unset: one task per topic partition",
    readBy: "job",
  },
  {
    name: "SPARK_MASTER_URL",
    type: "text",
    required: true,
    doc: "Spark master URL, spark://host:7077",
    readBy: "submit",
  },
  {
    name: "SPARK_DRIVER_HOST",
    type: "text",
    required: true,
    doc: "this driver's address as the executors reach it; they connect to its ports 7078 and 7079",
    readBy: "submit",
  },
  {
    name: "SPARK_EXECUTOR_CORES",
    type: "integer",
    minimum: 1,
    default: 1,
    doc: "cores per executor",
    readBy: "submit",
  },
  {
    name: "SPARK_EXECUTOR_MEMORY",
    type: "text",
    default: "1g",
    doc: "memory per executor (`2048m`, `2g`)",
    readBy: "submit",
  },
  {
    name: "SPARK_CORES_MAX",
    type: "integer",
    minimum: 1,
    default: "{SPARK_EXECUTOR_CORES}",
    doc: "cores of the whole application (`spark.cores.max`)",
    readBy: "submit",
  },
  {
    name: "SPARK_JVM_OPTIONS",
    type: "text",
    default: "-XX:+UseParallelGC",
    doc: "JVM options of the driver and every executor (`extraJavaOptions`); default: the throughput collector (see Performance)",
    readBy: "submit",
  },
] as const satisfies readonly SparkJobVariable[];

/** The users_pipeline DAG's variables, in the order the Airflow component writes them. */
export const airflowVariables = [
  {
    name: "USERS_PIPELINE_SCHEDULE",
    type: "text",
    default: "@hourly",
    doc: "the DAG's schedule: cron (5 fields) or a preset such as `@daily`",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_CONN_KAFKA_DEFAULT",
    type: "json",
    required: true,
    secret: true,
    doc: 'connection `kafka_default`: `{"conn_type": "kafka", "extra": {...}}`, the extra being librdkafka settings: `bootstrap.servers` and, with authentication, `security.protocol` (`SASL_PLAINTEXT`), `sasl.mechanism` (`SCRAM-SHA-512`), `sasl.username`, `sasl.password`',
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_CONN_CASSANDRA_DEFAULT",
    type: "json",
    required: true,
    secret: true,
    doc: "connection `cassandra_default`: `host` (comma-separated contact points), `port`, `login`, `password`, `schema`, `extra.local_dc`",
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_VAR_USERS_TOPIC",
    type: "text",
    default: "users_created",
    doc: "the topic the producer writes and check_sources looks for",
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_IMAGE",
    type: "text",
    requiredWhen: { variable: "AIRFLOW_VAR_PIPELINE_TARGET", values: ["docker", "kubernetes"] },
    doc: "the producer image (templated into the operator)",
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_COUNT",
    type: "integer",
    minimum: 1,
    default: 10_000,
    doc: "records a run produces and then expects in the table",
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_ENV",
    type: "json",
    default: "{}",
    doc: "JSON object of the producer's `PRODUCER_*` variables (no other names)",
    readAt: ["parse", "task"],
  },
  {
    name: "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS",
    type: "integer",
    minimum: 1,
    default: 600,
    doc: "how long verify_rows polls for the rows (the task's timeout is 2 min longer)",
    readAt: ["parse", "task"],
  },
  {
    name: "AIRFLOW_VAR_CASSANDRA_KEYSPACE",
    type: "text",
    doc: "keyspace of the users table (a CQL identifier); unset: the connection's `schema`",
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_VAR_CASSANDRA_TABLE",
    type: "text",
    default: "users",
    doc: "the users table (a CQL identifier)",
    readAt: ["task"],
  },
  {
    name: "AIRFLOW_VAR_PIPELINE_TARGET",
    type: "enum",
    values: ["docker", "kubernetes", "local"],
    required: true,
    doc: "how produce runs the producer: DockerOperator, KubernetesPodOperator or a local process",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_VAR_DOCKER_URL",
    type: "text",
    default: "tcp://docker-socket-proxy:2375",
    doc: "the Docker socket proxy (a `unix:` socket is refused)",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_VAR_DOCKER_NETWORK",
    type: "text",
    doc: "the network the producer container joins; unset: Docker's default",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_VAR_KUBERNETES_NAMESPACE",
    type: "text",
    requiredWhen: { variable: "AIRFLOW_VAR_PIPELINE_TARGET", values: ["kubernetes"] },
    doc: "the namespace the producer pods run in",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_SERVICE_ACCOUNT",
    type: "text",
    doc: "the ServiceAccount the producer pods run as (the Kubernetes target's `producer`, which mounts no token); unset: the namespace's default",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_SASL_USERNAME",
    type: "text",
    doc: "the producer's Kafka principal (docker and local targets), passed to it as `PRODUCER_SASL_USERNAME`; set both or neither of it and AIRFLOW_VAR_PRODUCER_SASL_PASSWORD; unset: no authentication",
    readAt: ["parse", "task"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD",
    type: "text",
    secret: true,
    doc: "the principal's password (docker and local targets), passed as `PRODUCER_SASL_PASSWORD` outside every template (DockerOperator's `private_environment`, the local process' environment), never logged",
    readAt: ["parse", "task"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET",
    type: "text",
    doc: "the Kubernetes Secret (keys `username`, `password`) the producer pod reads `PRODUCER_SASL_USERNAME` and `PRODUCER_SASL_PASSWORD` from (secretKeyRef: the password never passes through Airflow); kubernetes target only; unset: no authentication",
    readAt: ["parse"],
  },
  {
    name: "AIRFLOW_VAR_PRODUCER_COMMAND",
    type: "json",
    requiredWhen: { variable: "AIRFLOW_VAR_PIPELINE_TARGET", values: ["local"] },
    doc: 'the local producer command, a JSON list such as `["npx", "tsx", "producer/src/cli.ts"]`',
    readAt: ["task"],
  },
] as const satisfies readonly AirflowVariable[];

/** A value of variable `D`: a number for an integer, one of the values of an enum, else text or `V`. */
export type VariableValue<D extends VariableDescriptor, V = never> = D extends { readonly type: "integer" }
  ? number
  : D extends { readonly type: "enum"; readonly values: readonly (infer E)[] }
    ? E
    : string | V;

/**
 * The values of a process' environment: every required variable, any optional one, no other name
 * (an object literal with a misspelt name does not compile).
 */
export type EnvironmentValues<D extends VariableDescriptor, V = never> = {
  readonly [K in D as K extends { readonly required: true } ? K["name"] : never]: VariableValue<K, V>;
} & {
  readonly [K in D as K extends { readonly required: true } ? never : K["name"]]?: VariableValue<K, V>;
};

/**
 * The Airflow variables a target's container launcher sets (`PIPELINE_TARGET`, `DOCKER_URL`, ...):
 * named without their `AIRFLOW_VAR_` prefix, typed as the DAG reads them.
 */
export type LauncherVariables = {
  readonly [
    K in (typeof airflowVariables)[number] as K["name"] extends `AIRFLOW_VAR_${infer S}` ? S : never
  ]?: VariableValue<K>;
};

/** The descriptors of `list` read by `reader` (the job alone, without its entrypoint, say). */
export function readBy<D extends SparkJobVariable, R extends SparkJobVariable["readBy"]>(
  list: readonly D[],
  reader: R,
): Extract<D, { readonly readBy: R }>[] {
  return list.filter(
    (descriptor): descriptor is Extract<D, { readonly readBy: R }> => descriptor.readBy === reader,
  );
}

/** The descriptor called `name` in `list`. */
export function descriptorOf<D extends VariableDescriptor, N extends D["name"]>(
  list: readonly D[],
  name: N,
): Extract<D, { readonly name: N }> {
  const found = list.find((descriptor) => descriptor.name === name);
  if (!found) throw new Error(`no variable ${name}`);
  return found as Extract<D, { readonly name: N }>;
}

/** The default of variable `name` of `list` (the type says whether it has one). */
export function defaultOf<D extends VariableDescriptor, N extends D["name"]>(
  list: readonly D[],
  name: N,
): Extract<D, { readonly name: N }>["default"] {
  return descriptorOf(list, name).default;
}

/**
 * Values written as an environment holds them (text), typed by `descriptors`: integers parsed (a
 * text that is not one becomes NaN, which {@link environmentOf} refuses with the variable's name).
 * For overrides that come as text (a test's extra settings, the shell).
 */
export function valuesFromText<D extends VariableDescriptor>(
  descriptors: readonly D[],
  text: Readonly<Record<string, string>>,
): Partial<EnvironmentValues<D>> {
  const integers = new Set(descriptors.filter((d) => d.type === "integer").map((d) => d.name));
  return Object.fromEntries(
    Object.entries(text).map(([name, value]) => [name, integers.has(name) ? Number(value) : value]),
  ) as Partial<EnvironmentValues<D>>;
}

/** True when `descriptor` is required, given the other variables' values or defaults (`requiredWhen`). */
function isRequired(
  descriptor: VariableDescriptor,
  descriptors: readonly VariableDescriptor[],
  values: Readonly<Record<string, unknown>>,
): boolean {
  if (descriptor.required) return true;
  const when = descriptor.requiredWhen;
  if (!when) return false;
  const other = values[when.variable] ?? descriptors.find((d) => d.name === when.variable)?.default;
  return typeof other === "string" && when.values.includes(other);
}

/** Why `value` is not a value of `descriptor`, or undefined when it is. */
function problemOf(descriptor: VariableDescriptor, value: unknown): string | undefined {
  if (descriptor.type === "integer") {
    const minimum = descriptor.minimum ?? Number.MIN_SAFE_INTEGER;
    const maximum = descriptor.maximum ?? Number.MAX_SAFE_INTEGER;
    if (typeof value !== "number" || !Number.isInteger(value) || value < minimum || value > maximum) {
      return `${String(value)} is not an integer ${boundsText(descriptor)}`;
    }
  }
  if (descriptor.type === "enum" && typeof value === "string" && !descriptor.values?.includes(value)) {
    return `${JSON.stringify(value)} is not one of ${descriptor.values?.join(", ")}`;
  }
  if (descriptor.type !== "integer" && (value === "" || typeof value === "number")) {
    return `${JSON.stringify(value)} is not a non-empty text`;
  }
  return undefined;
}

/** "from 10 to 86400", ">= 1", "<= 9" or "" for an integer's bounds. */
export function boundsText(descriptor: VariableDescriptor): string {
  const { minimum, maximum } = descriptor;
  if (minimum !== undefined && maximum !== undefined) return `from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `>= ${minimum}`;
  if (maximum !== undefined) return `<= ${maximum}`;
  return "";
}

/**
 * The environment of a process from its descriptors: the variables given, in the descriptors'
 * order, integers written in decimal. Throws one error naming every variable that is missing
 * (required, or required by another's value), unknown, or not a value of its type and bounds.
 * Values that are not text (secret references, per-replica values, Pulumi outputs) pass as they are.
 */
export function environmentOf<D extends VariableDescriptor, V = never>(
  descriptors: readonly D[],
  values: EnvironmentValues<D, V>,
): Record<string, string | V> {
  const given = values as Readonly<Record<string, VariableValue<D, V> | undefined>>;
  const known = new Set(descriptors.map((descriptor) => descriptor.name));
  const problems = Object.keys(given)
    .filter((name) => !known.has(name))
    .map((name) => `${name} is not a variable of this process`);
  const environment: Record<string, string | V> = {};
  for (const descriptor of descriptors) {
    const value = given[descriptor.name];
    if (value === undefined) {
      if (isRequired(descriptor, descriptors, given))
        problems.push(`${descriptor.name} is required (${descriptor.doc})`);
      continue;
    }
    const problem = problemOf(descriptor, value);
    if (problem) problems.push(`${descriptor.name} ${problem}`);
    else environment[descriptor.name] = typeof value === "number" ? String(value) : value;
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return environment;
}
