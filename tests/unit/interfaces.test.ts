/**
 * The interface descriptors (contracts/interfaces.ts): the lists are consistent, the environment
 * builders refuse what the Python loaders would refuse (and misspelt names do not compile), the
 * generated JSON and README tables are what Prettier and the loaders expect.
 */
import test from "ava";
import * as prettier from "prettier";
import type { AirflowVariablesValues, StreamingJobEnvironmentValues } from "../../components";
import { airflowVariablesEnvironment, streamingJobEnvironment } from "../../components";
import { defaultJobGroupPrefix } from "../../components/kafka-security";
import {
  descriptorsJson,
  interfaceArtifacts,
  markdownTable,
  sparkJobVariablesTable,
  withGeneratedTable,
} from "../../contracts/interface-artifacts";
import type { VariableDescriptor } from "../../contracts/interfaces";
import {
  airflowVariables,
  defaultOf,
  environmentOf,
  readBy,
  sparkJobVariables,
  valuesFromText,
} from "../../contracts/interfaces";

const lists: Record<string, readonly VariableDescriptor[]> = {
  sparkJobVariables,
  airflowVariables,
};

/** What the SparkStreamingJob component gives, minimal (Kafka authentication on: the default). */
const job: StreamingJobEnvironmentValues = {
  KAFKA_BOOTSTRAP_SERVERS: "kafka-0:9092",
  KAFKA_SASL_USERNAME: "streaming-job",
  KAFKA_SASL_PASSWORD: { secret: { secretName: "kafka-user-streaming-job", key: "password", value: "pw" } },
  CASSANDRA_HOSTS: "cassandra-0",
  CASSANDRA_USERNAME: "pipeline",
  CASSANDRA_PASSWORD: { secret: { secretName: "cassandra", key: "app-password", value: "pw" } },
  CHECKPOINT_DIR: "/checkpoints/users-stream",
  SPARK_MASTER_URL: "spark://spark-master-0:7077",
  SPARK_DRIVER_HOST: { perReplica: (replica) => replica.host },
};

/** What the Airflow component gives, minimal. */
const dag: AirflowVariablesValues = {
  AIRFLOW_CONN_KAFKA_DEFAULT: { secret: { secretName: "airflow", key: "kafka-connection", value: "{}" } },
  AIRFLOW_CONN_CASSANDRA_DEFAULT: {
    secret: { secretName: "airflow", key: "cassandra-connection", value: "{}" },
  },
  AIRFLOW_VAR_PIPELINE_TARGET: "docker",
  AIRFLOW_VAR_PRODUCER_IMAGE: "data-pipeline-producer:0.1.0",
};

for (const [listName, list] of Object.entries(lists)) {
  test(`${listName}: unique names, a doc each, defaults of their own type and bounds`, (t) => {
    const names = list.map((descriptor) => descriptor.name);
    t.is(new Set(names).size, names.length);
    for (const descriptor of list) {
      t.true(/^[A-Z][A-Z0-9_]*$/.test(descriptor.name), descriptor.name);
      t.true(descriptor.doc.length > 0, `${descriptor.name} has a doc`);
      t.false(
        descriptor.required === true && descriptor.default !== undefined,
        `${descriptor.name}: required or default`,
      );
      t.is(
        descriptor.values !== undefined,
        descriptor.type === "enum",
        `${descriptor.name}: values iff enum`,
      );
      const fallback = descriptor.default;
      if (typeof fallback === "string") {
        for (const [, reference] of fallback.matchAll(/\{([A-Z0-9_]+)\}/g))
          t.true(names.includes(reference ?? ""), `${descriptor.name} refers to ${reference}`);
      }
      if (descriptor.type === "integer" && typeof fallback === "number") {
        t.true(Number.isInteger(fallback) && fallback >= (descriptor.minimum ?? -Infinity));
        t.true(fallback <= (descriptor.maximum ?? Infinity), `${descriptor.name}'s default is within bounds`);
      }
      if (descriptor.type === "enum" && fallback !== undefined)
        t.true(descriptor.values?.includes(String(fallback)), `${descriptor.name}'s default is a value`);
      const when = descriptor.requiredWhen;
      if (when) {
        const other = list.find((candidate) => candidate.name === when.variable);
        t.is(other?.type, "enum", `${descriptor.name} depends on an enum`);
        for (const value of when.values)
          t.true(other?.values?.includes(value), `${when.variable} can be ${value}`);
      }
    }
  });
}

test("the drifted defaults are the components' ones", (t) => {
  t.is(defaultOf(airflowVariables, "AIRFLOW_VAR_USERS_TOPIC"), defaultOf(sparkJobVariables, "KAFKA_TOPIC"));
  t.is(defaultOf(airflowVariables, "AIRFLOW_VAR_USERS_TOPIC"), "users_created");
  t.is(defaultOf(airflowVariables, "AIRFLOW_VAR_PRODUCER_COUNT"), 10_000);
  t.is(defaultOf(airflowVariables, "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS"), 600);
  // Set by the Kubernetes target (its `producer` ServiceAccount, which mounts no token), read by the DAG.
  const account = airflowVariables.find(
    (descriptor) => descriptor.name === "AIRFLOW_VAR_PRODUCER_SERVICE_ACCOUNT",
  );
  t.truthy(account);
  t.false("required" in account! || "requiredWhen" in account!);
});

test("environmentOf: descriptor order, integers as text, absent optional variables left out", (t) => {
  const environment = streamingJobEnvironment({
    ...job,
    SPARK_EXECUTOR_CORES: 2,
    MAX_OFFSETS_PER_TRIGGER: 5000,
    KAFKA_TOPIC: "people",
    SCHEMA_REGISTRY_URL: undefined,
  });
  t.deepEqual(Object.keys(environment), [
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_TOPIC",
    "MAX_OFFSETS_PER_TRIGGER",
    "CASSANDRA_HOSTS",
    "CASSANDRA_USERNAME",
    "CASSANDRA_PASSWORD",
    "CHECKPOINT_DIR",
    "SPARK_MASTER_URL",
    "SPARK_DRIVER_HOST",
    "SPARK_EXECUTOR_CORES",
  ]);
  t.is(environment["MAX_OFFSETS_PER_TRIGGER"], "5000");
  t.is(environment["SPARK_EXECUTOR_CORES"], "2");
});

test("environmentOf names every missing, unknown or out-of-bounds variable in one error", (t) => {
  const values = {
    ...job,
    CHECKPOINT_DIR: undefined,
    BATCH_ATTEMPT_TIMEOUT_SECONDS: 5,
    CASSANDRA_PORT: 9042.5,
    KAFKA_TOPICC: "typo",
  } as unknown as StreamingJobEnvironmentValues;
  const error = t.throws(() => streamingJobEnvironment(values));
  t.regex(error?.message ?? "", /^KAFKA_TOPICC is not a variable of this process; /);
  t.regex(error?.message ?? "", /CHECKPOINT_DIR is required \(checkpoint directory on persistent storage\)/);
  t.regex(error?.message ?? "", /BATCH_ATTEMPT_TIMEOUT_SECONDS 5 is not an integer from 10 to 86400/);
  t.regex(error?.message ?? "", /CASSANDRA_PORT 9042.5 is not an integer from 1 to 65535/);
});

test("environmentOf: required-when, enum values and empty text are refused", (t) => {
  t.throws(() => streamingJobEnvironment({ ...job, RECORD_FORMAT: "avro" }), {
    message: /^SCHEMA_REGISTRY_URL is required/,
  });
  t.notThrows(() =>
    streamingJobEnvironment({ ...job, RECORD_FORMAT: "avro", SCHEMA_REGISTRY_URL: "http://r:8081" }),
  );
  const xml = { ...job, RECORD_FORMAT: "xml" } as unknown as StreamingJobEnvironmentValues;
  t.throws(() => streamingJobEnvironment(xml), { message: /RECORD_FORMAT "xml" is not one of json, avro/ });
  t.throws(() => streamingJobEnvironment({ ...job, KAFKA_TOPIC: "" }), { message: /KAFKA_TOPIC "" is not/ });
  t.throws(() => airflowVariablesEnvironment({ ...dag, AIRFLOW_VAR_PIPELINE_TARGET: "kubernetes" }), {
    message: /AIRFLOW_VAR_KUBERNETES_NAMESPACE is required/,
  });
  t.throws(() => airflowVariablesEnvironment({ ...dag, AIRFLOW_VAR_PRODUCER_IMAGE: undefined }), {
    message: /AIRFLOW_VAR_PRODUCER_IMAGE is required/,
  });
});

test("Kafka authentication: SASL_PLAINTEXT by default, which needs the job's username and password", (t) => {
  t.is(defaultOf(sparkJobVariables, "KAFKA_SECURITY_PROTOCOL"), "SASL_PLAINTEXT");
  const { KAFKA_SASL_USERNAME: _username, KAFKA_SASL_PASSWORD: _password, ...anonymous } = job;
  const error = t.throws(() => streamingJobEnvironment(anonymous));
  t.regex(error?.message ?? "", /^KAFKA_SASL_USERNAME is required \(the job's Kafka principal/);
  t.regex(error?.message ?? "", /; KAFKA_SASL_PASSWORD is required/);
  t.throws(() => streamingJobEnvironment({ ...anonymous, KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT" }), {
    message: /KAFKA_SASL_USERNAME is required/,
  });
  const plain = streamingJobEnvironment({ ...anonymous, KAFKA_SECURITY_PROTOCOL: "PLAINTEXT" });
  t.is(plain["KAFKA_SECURITY_PROTOCOL"], "PLAINTEXT");
  t.false("KAFKA_SASL_USERNAME" in plain);
  const ssl = { ...job, KAFKA_SECURITY_PROTOCOL: "SSL" } as unknown as StreamingJobEnvironmentValues;
  t.throws(() => streamingJobEnvironment(ssl), {
    message: /KAFKA_SECURITY_PROTOCOL "SSL" is not one of PLAINTEXT, SASL_PLAINTEXT/,
  });
});

test("the job's group id prefix is the one its ACLs name (components/kafka-security.ts)", (t) => {
  // contracts/ sits below components/, so the default is written here and checked against theirs.
  t.is(defaultOf(sparkJobVariables, "KAFKA_GROUP_ID_PREFIX"), defaultJobGroupPrefix);
});

test("kafka_default's doc names the librdkafka keys the DAG's Kafka check authenticates with", (t) => {
  const connection = airflowVariables.find((descriptor) => descriptor.name === "AIRFLOW_CONN_KAFKA_DEFAULT");
  for (const key of [
    "bootstrap.servers",
    "security.protocol",
    "sasl.mechanism",
    "sasl.username",
    "sasl.password",
  ])
    t.true(connection?.doc.includes(`\`${key}\``), key);
  t.true(connection?.secret);
});

test("a component passes every secret variable as a secret reference", (t) => {
  t.throws(() => streamingJobEnvironment({ ...job, KAFKA_SASL_PASSWORD: "plain" }), {
    message: /^KAFKA_SASL_PASSWORD must be given as a secret reference/,
  });
  t.throws(() => airflowVariablesEnvironment({ ...dag, AIRFLOW_CONN_KAFKA_DEFAULT: "{}" }), {
    message: /^AIRFLOW_CONN_KAFKA_DEFAULT must be given as a secret reference/,
  });
  t.throws(() => airflowVariablesEnvironment({ ...dag, AIRFLOW_VAR_PRODUCER_SASL_PASSWORD: "plain" }), {
    message: /^AIRFLOW_VAR_PRODUCER_SASL_PASSWORD must be given as a secret reference/,
  });
  t.throws(() => streamingJobEnvironment({ ...job, CASSANDRA_PASSWORD: "plain" }), {
    message: /^CASSANDRA_PASSWORD must be given as a secret reference/,
  });
  t.throws(() => airflowVariablesEnvironment({ ...dag, AIRFLOW_CONN_CASSANDRA_DEFAULT: "{}" }), {
    message: /^AIRFLOW_CONN_CASSANDRA_DEFAULT must be given as a secret reference/,
  });
});

test("misspelt, missing or mistyped variables do not compile", (t) => {
  // Each line below must fail to type-check (tsc --noEmit, part of npm test); at run time they throw.
  const attempts = [
    // @ts-expect-error KAFKA_TOPICC is not a variable of the job
    () => streamingJobEnvironment({ ...job, KAFKA_TOPICC: "users" }),
    // @ts-expect-error CHECKPOINT_DIR is required
    () => streamingJobEnvironment({ KAFKA_BOOTSTRAP_SERVERS: "k:9092", CASSANDRA_HOSTS: "c" }),
    // @ts-expect-error an integer is a number
    () => streamingJobEnvironment({ ...job, MAX_OFFSETS_PER_TRIGGER: "5000" }),
    // @ts-expect-error RECORD_FORMAT is json or avro
    () => streamingJobEnvironment({ ...job, RECORD_FORMAT: "xml" }),
    // @ts-expect-error a launcher knows docker, kubernetes and local
    () => airflowVariablesEnvironment({ ...dag, AIRFLOW_VAR_PIPELINE_TARGET: "ecs" }),
  ];
  for (const attempt of attempts) t.throws(attempt);
});

test("the e2e builders: the job alone (no submit.sh variables), overrides given as text", (t) => {
  const jobAlone = readBy(sparkJobVariables, "job");
  t.false(jobAlone.some((descriptor) => descriptor.name.startsWith("SPARK_")));
  const base = {
    KAFKA_BOOTSTRAP_SERVERS: "k:9092",
    KAFKA_SECURITY_PROTOCOL: "PLAINTEXT",
    CASSANDRA_HOSTS: "c",
    CHECKPOINT_DIR: "/tmp/c",
  } as const;
  t.deepEqual(
    environmentOf(jobAlone, { ...base, ...valuesFromText(jobAlone, { MAX_OFFSETS_PER_TRIGGER: "2500" }) }),
    {
      KAFKA_BOOTSTRAP_SERVERS: "k:9092",
      KAFKA_SECURITY_PROTOCOL: "PLAINTEXT",
      MAX_OFFSETS_PER_TRIGGER: "2500",
      CASSANDRA_HOSTS: "c",
      CHECKPOINT_DIR: "/tmp/c",
    },
  );
  t.throws(
    () =>
      environmentOf(jobAlone, { ...base, ...valuesFromText(jobAlone, { MAX_OFFSETS_PER_TRIGGER: "lots" }) }),
    {
      message: /MAX_OFFSETS_PER_TRIGGER NaN is not an integer >= 1/,
    },
  );
  t.throws(
    () => environmentOf(jobAlone, { ...base, ...valuesFromText(jobAlone, { SPARK_MASTER_URL: "local[2]" }) }),
    {
      message: /SPARK_MASTER_URL is not a variable of this process/,
    },
  );
});

test("the generated JSON has every field of every descriptor, as Prettier writes it", async (t) => {
  const text = descriptorsJson(sparkJobVariables);
  t.is(await prettier.format(text, { parser: "json", printWidth: 110 }), text);
  const parsed = JSON.parse(text) as { variables: Record<string, unknown>[] };
  t.deepEqual(
    parsed.variables.map((entry) => entry["name"]),
    sparkJobVariables.map((descriptor) => descriptor.name),
  );
  const topic = parsed.variables.find((entry) => entry["name"] === "DLQ_TOPIC");
  t.deepEqual(topic, {
    name: "DLQ_TOPIC",
    type: "text",
    doc: "dead-letter topic (must exist; the job does not create it)",
    default: "{KAFKA_TOPIC}.dlq",
    required: false,
    requiredWhen: null,
    secret: false,
    values: null,
    minimum: null,
    maximum: null,
    readBy: "job",
  });
});

test("README tables are aligned as Prettier aligns them and land in the marked region only", async (t) => {
  const table = sparkJobVariablesTable();
  t.is(await prettier.format(table, { parser: "markdown", printWidth: 110 }), table + "\n");
  t.true(table.includes("| `DLQ_TOPIC` "));
  t.true(table.includes("`$KAFKA_TOPIC.dlq`"));
  t.true(table.includes("required when `RECORD_FORMAT` is `avro`"));
  const escaped = markdownTable(["a", "b"], [["x|y", "z"]]);
  t.is(await prettier.format(escaped, { parser: "markdown" }), escaped + "\n");
  const readme =
    "# Title\n\nbefore\n\n<!-- generated by contracts/generate.ts from contracts/interfaces.ts: edit the descriptors there -->\n\nold\n\n<!-- end of generated table -->\n\nafter\n";
  const updated = withGeneratedTable(readme, "| new |", "README.md");
  t.is(updated.replace("| new |", "old"), readme);
  t.throws(() => withGeneratedTable("# no region\n", "| new |", "README.md"), {
    message: /README\.md has no generated region/,
  });
});

test("interface artifacts: the job's JSON in contracts/ (copied into the image), the DAG's in dags/", (t) => {
  t.deepEqual(Object.keys(interfaceArtifacts(`${__dirname}/../../contracts`)), [
    "spark-job.environment.json",
    "../dags/users_pipeline_tasks/airflow-variables.json",
    "../spark/README.md",
    "../dags/README.md",
  ]);
});
