/**
 * Helpers of the Spark job e2e tests and the e2e benchmark: run spark/main.py as a local driver
 * (spark-submit from the venv's pyspark, `local[2]`, the harness' connector jars), create the
 * contract's table, read back ids and dead letters, and stop/restart the harness' Cassandra in place.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "cassandra-driver";
import type { types } from "cassandra-driver";
import type { KafkaMessage } from "kafkajs";
import {
  defaultOf,
  environmentOf,
  readBy,
  sparkJobVariables,
  valuesFromText,
} from "../../contracts/interfaces";
import { userCqlCreateTable } from "../../contracts/users";
import { defaultJobGroupPrefix } from "../../components/kafka-security";
import type { PipelineAclInputs, PipelinePrincipal } from "../../components/kafka-security";
import { pipelineAclInputs } from "../harness";
import type { KafkaSecurity } from "../harness";
import type { ManagedProcess } from "../harness/lib";
import {
  findJava,
  isAlive,
  repoRoot,
  resolveMaven,
  runDirectory,
  runLogDirectory,
  sleep,
  startJavaProcess,
  startProcess,
} from "../harness/lib";
import type { CassandraEndpoint } from "../harness/services/cassandra";
import { cassandraClientOptions, cassandraJvmArguments, createKeyspace } from "../harness/services/cassandra";
import { prepareSpark, sparkEnvironment } from "../harness/services/spark";

/** Where the job's package lives (PYTHONPATH of the driver and its Python workers). */
export const sparkJobDirectory = join(repoRoot(), "spark");

/** Spark runtime of a local driver: pyspark's spark-submit, the connector jars, the environment. */
export interface JobRuntime {
  readonly sparkSubmit: string;
  readonly jars: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
}

/** Resolves pyspark (venv) and the connector jars through the harness; no master is started. */
export async function prepareJobRuntime(): Promise<JobRuntime> {
  const artifacts = await prepareSpark();
  const java = findJava("spark", { minimum: 17, maximum: 17 });
  return {
    sparkSubmit: join(artifacts.sparkHome, "bin", "spark-submit"),
    jars: artifacts.jars,
    environment: sparkEnvironment(artifacts, java),
  };
}

/** What a job run needs besides the runtime. */
export interface JobOptions {
  /** Harness run id (the job's pid file and log go under it). */
  readonly run: string;
  /** Name of this driver process (log `<name>.log`), unique per start. */
  readonly name: string;
  /** The harness broker: the job logs in as its `streaming-job` principal. */
  readonly kafka: KafkaSecurity;
  readonly cassandra: CassandraEndpoint;
  readonly topic: string;
  readonly keyspace: string;
  readonly checkpointDir: string;
  /**
   * Spark master.
   * @default "local[2]"
   */
  readonly master?: string;
  /** Extra job environment as text (MAX_OFFSETS_PER_TRIGGER, TRIGGER_INTERVAL, ...): names of `sparkJobVariables`. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Driver heap (`--driver-memory`); in `local[...]` mode the executors share it.
   * @default "1g"
   */
  readonly driverMemory?: string;
  /** Extra `--conf key=value` settings for spark-submit. */
  readonly sparkConf?: Readonly<Record<string, string>>;
  /**
   * The driver script; it logs as the job does (bench/e2e.ts's streaming reference).
   * @default spark/main.py
   */
  readonly script?: string;
}

/** The variables the job itself reads (submit.sh's are not: spark-submit runs main.py directly here). */
const jobVariables = readBy(sparkJobVariables, "job");

/**
 * The job's environment, built from its descriptors (contracts/interfaces.ts) as the component
 * builds the container's: a misspelt name in `options.env` or an integer out of bounds is an error.
 * It logs in as the `streaming-job` principal, with its groups under the ACLs' prefix.
 */
export function jobEnvironment(options: JobOptions): Record<string, string> {
  const login = options.kafka.principals["streaming-job"];
  return environmentOf(jobVariables, {
    KAFKA_BOOTSTRAP_SERVERS: options.kafka.bootstrap,
    KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
    KAFKA_SASL_USERNAME: login.username,
    KAFKA_SASL_PASSWORD: login.password,
    KAFKA_GROUP_ID_PREFIX: defaultJobGroupPrefix,
    KAFKA_TOPIC: options.topic,
    CASSANDRA_HOSTS: options.cassandra.contactPoints.join(","),
    CASSANDRA_PORT: options.cassandra.port,
    CASSANDRA_USERNAME: options.cassandra.username,
    CASSANDRA_PASSWORD: options.cassandra.password,
    CASSANDRA_LOCAL_DC: options.cassandra.localDataCenter,
    CASSANDRA_KEYSPACE: options.keyspace,
    CASSANDRA_TABLE: "users",
    CHECKPOINT_DIR: options.checkpointDir,
    TRIGGER_INTERVAL: "1 second",
    ...valuesFromText(jobVariables, options.env ?? {}),
  });
}

/** A started driver. */
export interface RunningJob {
  readonly process: ManagedProcess;
  /** Text of the driver's log so far. */
  log(): string;
  /** True while the driver's process is alive. */
  alive(): boolean;
  /** SIGKILL to the driver's whole process group (JVM and Python), waits until it is gone. */
  kill(): Promise<void>;
}

/** `<run directory>/spark-local`, created: the drivers' SPARK_LOCAL_DIRS and java.io.tmpdir. */
export function sparkLocalDirectory(run: string): string {
  const directory = join(runDirectory(run), "spark-local");
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** How spark-submit runs `script` (default spark/main.py) for `options`: arguments, environment, directory. */
export function sparkSubmitInvocation(
  runtime: JobRuntime,
  options: JobOptions,
  script = join(sparkJobDirectory, "main.py"),
): { args: string[]; env: Record<string, string>; cwd: string } {
  const scratch = sparkLocalDirectory(options.run);
  return {
    args: [
      ["--master", options.master ?? "local[2]"],
      ["--driver-memory", options.driverMemory ?? "1g"],
      ["--conf", "spark.ui.enabled=false"],
      // As submit.sh passes SPARK_JVM_OPTIONS (its default here: in local mode the driver is the executor).
      ["--conf", `spark.driver.extraJavaOptions=${defaultOf(sparkJobVariables, "SPARK_JVM_OPTIONS")}`],
      Object.entries(options.sparkConf ?? {}).flatMap(([key, value]) => ["--conf", `${key}=${value}`]),
      ["--jars", runtime.jars.join(",")],
      [script],
    ].flat(),
    env: {
      ...runtime.environment,
      PYTHONPATH: sparkJobDirectory,
      // Spark's scratch (spark-*/, pyspark-*/, userFiles-*/, and spark-submit's own temp directory)
      // in the run directory too: a driver killed on purpose (the crash tests) never runs the
      // shutdown hook that deletes it from /tmp.
      SPARK_LOCAL_DIRS: scratch,
      SPARK_SUBMIT_OPTS: `-Djava.io.tmpdir=${scratch}`,
      ...jobEnvironment(options),
    },
    cwd: sparkJobDirectory,
  };
}

/** Starts spark/main.py (or `options.script`) with spark-submit; resolves once the streaming query has started. */
export async function startJob(runtime: JobRuntime, options: JobOptions): Promise<RunningJob> {
  const logDir = runLogDirectory(options.run);
  const logPath = join(logDir, `${options.name}.log`);
  const readLog = (): string => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  const managed = await startProcess({
    service: "spark-job",
    name: options.name,
    stateDir: join(runDirectory(options.run), "spark-job"),
    logDir,
    command: runtime.sparkSubmit,
    ...sparkSubmitInvocation(runtime, options, options.script),
    readiness: async () => readLog().includes("users_stream: reading"),
    readinessTimeoutMs: 240_000,
  });
  return {
    process: managed,
    log: readLog,
    alive: () => isAlive(managed.pid),
    kill: async () => {
      try {
        process.kill(-managed.pid, "SIGKILL");
      } catch {
        // already gone
      }
      for (let waited = 0; isAlive(managed.pid) && waited < 30_000; waited += 200) await sleep(200);
    },
  };
}

/** A keyspace with the contract's users table, created as the schema job does (userCqlCreateTable). */
export async function createUsersTable(endpoint: CassandraEndpoint, keyspace: string): Promise<void> {
  await createKeyspace(endpoint, keyspace);
  const client = new Client(cassandraClientOptions(endpoint));
  try {
    await client.execute(userCqlCreateTable({ keyspace, table: "users" }));
  } finally {
    await client.shutdown();
  }
}

/** What {@link newJobPipeline} needs of a started harness (Kafka and Cassandra). */
export interface PipelineHarness {
  readonly run: string;
  readonly kafka: KafkaSecurity;
  readonly cassandra: CassandraEndpoint;
  createTopic(name: string, partitions?: number, configs?: Readonly<Record<string, string>>): Promise<void>;
  grant(
    principals: PipelinePrincipal | readonly PipelinePrincipal[],
    inputs: PipelineAclInputs,
  ): Promise<void>;
  uniqueName(prefix: string): string;
}

/**
 * A fresh topic (with `topicConfigs`), its DLQ topic, the producer's and the job's ACLs for them, a
 * keyspace with the contract's table and a checkpoint directory.
 */
export async function newJobPipeline(
  harness: PipelineHarness,
  prefix: string,
  partitions = 2,
  topicConfigs: Readonly<Record<string, string>> = {},
): Promise<Omit<JobOptions, "name">> {
  const topic = harness.uniqueName(prefix);
  await harness.createTopic(topic, partitions, topicConfigs);
  await harness.createTopic(`${topic}.dlq`, 1);
  await harness.grant(["producer", "streaming-job"], pipelineAclInputs(topic));
  const keyspace = harness.uniqueName(prefix);
  await createUsersTable(harness.cassandra, keyspace);
  return {
    run: harness.run,
    kafka: harness.kafka,
    cassandra: harness.cassandra,
    topic,
    keyspace,
    // In the run directory, which the harness removes when the run stops (or, after a killed
    // test process, when the next run starts): no checkpoint outlives its test.
    checkpointDir: mkdtempSync(join(runDirectory(harness.run), `${prefix}-checkpoint-`)),
  };
}

/** Every id in `<keyspace>.users`; null when Cassandra does not answer. */
export async function tableIds(endpoint: CassandraEndpoint, keyspace: string): Promise<Set<string> | null> {
  const client = new Client({
    ...cassandraClientOptions(endpoint),
    socketOptions: { connectTimeout: 5_000, readTimeout: 30_000 },
  });
  try {
    const ids = new Set<string>();
    let pageState: string | undefined;
    do {
      const result = await client.execute(`SELECT id FROM ${keyspace}.users`, [], {
        prepare: true,
        fetchSize: 10_000,
        ...(pageState ? { pageState } : {}),
      });
      for (const row of result.rows) ids.add((row.get("id") as types.Uuid).toString());
      pageState = result.pageState ?? undefined;
    } while (pageState);
    return ids;
  } catch {
    return null;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/** True when a CQL login with the endpoint's credentials can read system.local. */
export async function cassandraAnswers(endpoint: CassandraEndpoint): Promise<boolean> {
  const client = new Client({
    ...cassandraClientOptions(endpoint),
    socketOptions: { connectTimeout: 3_000, readTimeout: 5_000 },
  });
  try {
    return (await client.execute("SELECT release_version FROM system.local")).rowLength === 1;
  } catch {
    return false;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/** Polls `check` every `intervalMs` until it returns true; throws `message()` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: () => string,
  intervalMs = 2_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(message());
    await sleep(intervalMs);
  }
}

/** A dead letter as the job writes it. */
export interface DeadLetter {
  readonly key: string;
  readonly value: Buffer | null;
  readonly reason: string;
  readonly sourcePartition: number;
  readonly sourceOffset: number;
}

/** Decodes a DLQ message's headers. */
export function deadLetterOf(message: KafkaMessage): DeadLetter {
  const header = (name: string): string => {
    const value = message.headers?.[name];
    return Buffer.isBuffer(value) ? value.toString("utf8") : String(value ?? "");
  };
  return {
    key: message.key?.toString("utf8") ?? "",
    value: message.value,
    reason: header("dlq.reason"),
    sourcePartition: Number(header("dlq.source.partition")),
    sourceOffset: Number(header("dlq.source.offset")),
  };
}

/**
 * The dead letters that do not match what was sent under their key: unknown key, a reason not
 * starting with the expected one, other bytes than the original, or no source partition/offset.
 */
export function mismatchedDeadLetters(
  letters: readonly DeadLetter[],
  expected: ReadonlyMap<string, { readonly reason: string; readonly value: Buffer }>,
): DeadLetter[] {
  return letters.filter((letter) => {
    const original = expected.get(letter.key);
    return (
      !original ||
      !letter.reason.startsWith(original.reason) ||
      !(letter.value ?? Buffer.alloc(0)).equals(original.value) ||
      !(letter.sourcePartition >= 0 && letter.sourceOffset >= 0)
    );
  });
}

/** A valid user in its JSON form (the malformed kinds below are variations of it). */
export function sampleUser(index: number): Record<string, unknown> {
  return {
    id: `7d1e0c9a-5b2f-4c3d-9e8f-${index.toString(16).padStart(12, "0")}`,
    first_name: "Ada",
    last_name: "Lovelace",
    gender: "female",
    street_number: 12,
    street_name: "St James's Square",
    city: "London",
    state: "Greater London",
    postcode: "SW1Y 4JH",
    country: "United Kingdom",
    email: `ada${index}@example.org`,
    username: `ada_${index}`,
    dob: "1990-12-10",
    registered_at: "2020-01-01T00:00:00.000Z",
    phone: "+44 20 7946 0000",
    picture: "https://example.org/ada.png",
    event_time: "2025-06-01T12:00:00.000Z",
  };
}

/** A kind of malformed record: how to make one, and how its DLQ reason starts. */
export interface MalformedKind {
  readonly kind: string;
  readonly reason: string;
  make(index: number): Buffer;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** Eleven kinds of bad record; `maxRecordBytes` is the job's MAX_RECORD_BYTES (for `oversize`). */
export function malformedKinds(maxRecordBytes: number): MalformedKind[] {
  return [
    { kind: "not-json", reason: "unparsable: not JSON", make: (i) => Buffer.from(`{"id": ${i}, oops`) },
    {
      kind: "truncated",
      reason: "unparsable: not JSON",
      make: (i) => json(sampleUser(i)).subarray(0, 60),
    },
    { kind: "empty", reason: "empty:", make: () => Buffer.alloc(0) },
    { kind: "not-utf8", reason: "unparsable: not UTF-8", make: () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
    { kind: "array", reason: "invalid: record is not an object", make: (i) => json([i, i + 1]) },
    {
      kind: "missing-field",
      reason: "invalid: email: is missing",
      make: (i) => json({ ...sampleUser(i), email: undefined }),
    },
    {
      kind: "wrong-type",
      reason: "invalid: street_number: is not a 32-bit integer",
      make: (i) => json({ ...sampleUser(i), street_number: "12" }),
    },
    {
      kind: "bad-uuid",
      reason: "invalid: id: is not a lower-case UUID",
      make: (i) => json({ ...sampleUser(i), id: `user-${i}` }),
    },
    {
      kind: "unknown-field",
      reason: "invalid: nickname: is not a field of the contract",
      make: (i) => json({ ...sampleUser(i), nickname: "countess" }),
    },
    {
      kind: "cross-field",
      reason: "invalid: registered_at: is after event_time",
      make: (i) => json({ ...sampleUser(i), registered_at: "2030-01-01T00:00:00.000Z" }),
    },
    {
      kind: "oversize",
      reason: "oversize:",
      make: (i) => json({ ...sampleUser(i), padding: "x".repeat(maxRecordBytes) }),
    },
  ];
}

/** Stops the harness' Cassandra (SIGTERM) and returns a function that starts it again in place. */
export async function stopCassandra(
  run: string,
  daemon: ManagedProcess,
  endpoint: CassandraEndpoint,
): Promise<(name: string) => Promise<ManagedProcess>> {
  await daemon.stop();
  return async (name) => {
    const stateDir = join(runDirectory(run), "cassandra");
    const { classpath } = await resolveMaven("cassandra");
    const java = findJava("cassandra", { minimum: 17, maximum: 17 });
    return startJavaProcess({
      service: "cassandra",
      name,
      stateDir,
      logDir: runLogDirectory(run),
      java,
      classpath,
      mainClass: "org.apache.cassandra.service.CassandraDaemon",
      jvmArgs: cassandraJvmArguments(
        join(stateDir, "cassandra.yaml"),
        join(stateDir, "logback.xml"),
        join(stateDir, "data"),
      ),
      readiness: () => cassandraAnswers(endpoint),
      readinessTimeoutMs: 240_000,
    });
  };
}
