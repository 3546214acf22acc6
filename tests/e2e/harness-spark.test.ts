import test from "ava";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "cassandra-driver";
import type { types } from "cassandra-driver";
import { Kafka, logLevel } from "kafkajs";
import { clientSecurityProperties, defaultJobGroupPrefix } from "../../components/kafka-security";
import type { Harness } from "../harness";
import { repoRoot } from "../harness/lib";
import {
  cassandraClientOptions,
  createKeyspace,
  kafkaClientConfig,
  pipelineAclInputs,
  startServices,
} from "../harness";

const runFile = promisify(execFile);
const fixture = join(repoRoot(), "tests", "e2e", "fixtures", "kafka_to_cassandra.py");
const recordCount = 300;

type SparkHarness = Harness<"kafka" | "cassandra" | "spark">;
let harness: SparkHarness | undefined;

test.before(async () => {
  harness = await startServices({ services: ["kafka", "cassandra", "spark"], kraft: true });
});

test.after.always(async () => {
  await harness?.stop();
});

function started(): SparkHarness {
  if (!harness) throw new Error("harness did not start");
  return harness;
}

/**
 * Produces `recordCount` JSON users to a fresh topic as the producer principal (the producer and
 * the job get the pipeline's ACLs for it); returns the topic.
 */
async function produceUsers(running: SparkHarness): Promise<string> {
  const topic = running.uniqueName("users");
  await running.createTopic(topic, 2);
  await running.grant(["producer", "streaming-job"], pipelineAclInputs(topic));
  const kafka = new Kafka({
    clientId: "spark-e2e",
    ...kafkaClientConfig(running.kafka, "producer"),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: recordCount }, (_, index) => ({
      key: `user-${index}`,
      value: JSON.stringify({ id: `user-${index}`, name: `Name ${index}`, age: 18 + (index % 60) }),
    }));
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
  return topic;
}

/** A fresh keyspace with a `users` table matching the fixture's schema; returns the keyspace. */
async function createUsersTable(running: SparkHarness): Promise<string> {
  const keyspace = running.uniqueName("spark");
  await createKeyspace(running.cassandra, keyspace);
  const client = new Client(cassandraClientOptions(running.cassandra, keyspace));
  try {
    await client.execute("CREATE TABLE users (id text PRIMARY KEY, name text, age int)");
  } finally {
    await client.shutdown();
  }
  return keyspace;
}

/**
 * Runs the fixture batch with the venv python against `master`, reading Kafka as the streaming-job
 * principal; returns the rows it reports.
 */
async function runBatch(
  running: SparkHarness,
  master: string,
  topic: string,
  keyspace: string,
): Promise<number> {
  const { spark, cassandra, kafka } = running;
  const login = kafka.principals["streaming-job"];
  const { stdout } = await runFile(
    spark.pythonPath,
    [
      fixture,
      ["--master", master],
      ["--jars", spark.jars.join(",")],
      ["--bootstrap", kafka.bootstrap],
      ["--topic", topic],
      ["--cassandra-host", cassandra.contactPoints[0] ?? "127.0.0.1"],
      ["--cassandra-port", String(cassandra.port)],
      ["--cassandra-user", cassandra.username],
      ["--keyspace", keyspace],
      ["--table", "users"],
      ["--group-id-prefix", defaultJobGroupPrefix],
    ].flat(),
    {
      env: {
        ...process.env,
        ...spark.environment,
        CASSANDRA_PASSWORD: cassandra.password,
        KAFKA_CLIENT_PROPERTIES: JSON.stringify(clientSecurityProperties(login.username, login.password)),
      },
      timeout: 5 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const summary = stdout
    .split("\n")
    .reverse()
    .find((line) => line.startsWith("{"));
  return (JSON.parse(summary ?? "{}") as { rows?: number }).rows ?? -1;
}

/** Reads the table back with cassandra-driver. */
async function readUsers(
  running: SparkHarness,
  keyspace: string,
): Promise<{ count: number; sample: unknown }> {
  const client = new Client(cassandraClientOptions(running.cassandra, keyspace));
  try {
    const count = await client.execute("SELECT count(*) AS total FROM users");
    const sample = await client.execute("SELECT name, age FROM users WHERE id = ?", ["user-42"], {
      prepare: true,
    });
    return {
      count: (count.first().get("total") as types.Long).toNumber(),
      sample: { name: sample.first().get("name"), age: sample.first().get("age") },
    };
  } finally {
    await client.shutdown();
  }
}

for (const mode of ["local", "standalone"] as const) {
  test.serial(`pyspark batch Kafka -> Cassandra through the connectors (${mode} master)`, async (t) => {
    const running = started();
    const master = mode === "local" ? running.spark.localMasterUrl : running.spark.masterUrl;
    const topic = await produceUsers(running);
    const keyspace = await createUsersTable(running);
    const batchStart = Date.now();
    const reported = await runBatch(running, master, topic, keyspace);
    t.log(`${mode}: batch took ${Math.round((Date.now() - batchStart) / 1000)}s`);
    t.is(reported, recordCount);
    const { count, sample } = await readUsers(running, keyspace);
    t.is(count, recordCount);
    t.deepEqual(sample, { name: "Name 42", age: 18 + (42 % 60) });
  });
}

test.serial("the standalone master lists one alive worker with 2 cores", async (t) => {
  const response = await fetch(`${started().spark.masterWebUrl}/json/`);
  const status = (await response.json()) as { aliveworkers: number; cores: number; url: string };
  t.is(status.aliveworkers, 1);
  t.is(status.cores, 2);
  t.is(status.url, started().spark.masterUrl);
});
