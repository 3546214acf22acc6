/**
 * The producer image on a real engine against the harness' Kafka and schema registry: its own
 * entrypoint, as its own non-root user, 20,000 records JSON and Avro -> exactly the generator's ids.
 */
import test from "ava";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { UserGenerator } from "../../producer/src/generator";
import { keysOf, readTopic } from "../e2e/producer-support";
import { pipelineAclInputs, startServices } from "../harness";
import type { Harness } from "../harness";
import { builtImage, docker, runContainer } from "./support";

let harness: Harness<"kafka" | "registry"> | undefined;
const image = builtImage("producer").imageName;
const count = 20_000;

test.before(async () => {
  harness = await startServices({ services: ["kafka", "registry"] });
});

test.after.always(async () => {
  await harness?.stop();
});

function services(): Harness<"kafka" | "registry"> {
  if (harness === undefined) throw new Error("the harness did not start");
  return harness;
}

function idsOfSeed(seed: number): string[] {
  const generator = new UserGenerator({ seed, eventTime: "sequence" });
  return Array.from({ length: count }, () => generator.next().id).sort();
}

test.serial("runs as the image's non-root user (node, uid 1000)", (t) => {
  t.is(docker(["image", "inspect", "--format", "{{.Config.User}}", image]).trim(), "node");
  const id = runContainer(["--entrypoint", "id", image]);
  t.is(id.status, 0, id.stderr);
  t.regex(id.stdout, /^uid=1000\(node\) gid=1000\(node\)/);
});

/** `docker run` flags of the producer principal's login (the harness broker requires one). */
function producerLoginFlags(): string[] {
  const login = services().kafka.principals.producer;
  return ["-e", `PRODUCER_SASL_USERNAME=${login.username}`, "-e", `PRODUCER_SASL_PASSWORD=${login.password}`];
}

test.serial("no arguments: configured by PRODUCER_* alone, as Airflow's operators start it", async (t) => {
  const { kafka } = services();
  const topic = services().uniqueName("image_env");
  await services().createTopic(topic, 1);
  await services().grant("producer", pipelineAclInputs(topic));
  const run = runContainer([
    "--network",
    "host",
    ...producerLoginFlags(),
    "-e",
    `PRODUCER_BROKERS=${kafka.bootstrap}`,
    "-e",
    `PRODUCER_TOPIC=${topic}`,
    "-e",
    "PRODUCER_COUNT=500",
    image,
  ]);
  t.is(run.status, 0, run.stderr.slice(-2000));
  t.is((await readTopic(kafka, topic)).length, 500);
  const unconfigured = runContainer([image]);
  t.is(
    unconfigured.status,
    2,
    "with nothing configured the image must fail (exit 2), not print help and succeed",
  );
});

test.serial("a bad flag exits 2 with one clear line", (t) => {
  const run = runContainer([image, "--brokers", "127.0.0.1:9", "--no-such-flag"]);
  t.is(run.status, 2, run.stdout + run.stderr);
  t.regex(run.stderr, /Unknown option '--no-such-flag'/);
  const badCount = runContainer([image, "--brokers", "127.0.0.1:9", "--count", "many"]);
  t.is(badCount.status, 2, badCount.stderr);
});

for (const format of ["json", "avro"] as const) {
  test.serial(
    `${count.toLocaleString("en")} ${format} records from the container: exactly the generator's ids in Kafka`,
    async (t) => {
      const { kafka, registry } = services();
      const topic = services().uniqueName(`image_${format}`);
      await services().createTopic(topic, 3);
      await services().grant("producer", pipelineAclInputs(topic));
      const seed = format === "json" ? 11 : 12;
      const run = runContainer([
        "--network",
        "host",
        ...producerLoginFlags(),
        "-e",
        `PRODUCER_SCHEMA_REGISTRY=${registry.url}`,
        image,
        "--brokers",
        kafka.bootstrap,
        "--topic",
        topic,
        "--count",
        String(count),
        "--seed",
        String(seed),
        "--format",
        format,
      ]);
      t.is(run.status, 0, run.stderr.slice(-2000));
      const messages = await readTopic(kafka, topic);
      const ids = keysOf(messages);
      t.is(messages.length, count);
      t.deepEqual([...ids].sort(), idsOfSeed(seed));
      if (format === "avro") {
        const client = new SchemaRegistry({ host: registry.url });
        const schemaId = await client.getLatestSchemaId(`${topic}-value`);
        for (const message of messages.filter((_, index) => index % 997 === 0)) {
          t.is(message.value![0], 0);
          t.is(message.value!.readUInt32BE(1), schemaId);
          const decoded = (await client.decode(message.value!)) as { id: string };
          t.is(decoded.id, message.key!.toString());
        }
      } else {
        t.true(
          messages.every(
            (message) =>
              (JSON.parse(message.value!.toString()) as { id: string }).id === message.key!.toString(),
          ),
        );
      }
    },
  );
}
