import test from "ava";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import type { ChildProcess } from "node:child_process";
import { validateUser } from "../../contracts/validate";
import { UserGenerator } from "../../producer/src/generator";
import { startServices } from "../harness";
import type { Harness } from "../harness";
import type { ManagedProcess } from "../harness/lib";
import { pipelineAclInputs } from "../harness";
import { runCli } from "../unit/producer/cli-runner";
import { keysOf, producerLogin, readTopic, stopBroker } from "./producer-support";

let harness: Harness<"kafka" | "registry"> | undefined;
let restartedBroker: ManagedProcess | undefined;

test.before(async () => {
  harness = await startServices({ services: ["kafka", "registry"] });
});

test.after.always(async () => {
  await restartedBroker?.stop();
  await harness?.stop();
});

function services(): Harness<"kafka" | "registry"> {
  if (harness === undefined) throw new Error("the harness did not start");
  return harness;
}

/** A fresh topic the producer principal may write (the pipeline's ACLs for it). */
async function newTopic(prefix: string, partitions = 3): Promise<string> {
  const name = services().uniqueName(prefix);
  await services().createTopic(name, partitions);
  await services().grant("producer", pipelineAclInputs(name));
  return name;
}

/** The CLI's environment: logged in as the producer principal. */
function login(): Record<string, string> {
  return producerLogin(services().kafka);
}

/** The ids the generator makes for `seed`, in order. */
function idsOfSeed(seed: number, count: number): string[] {
  const generator = new UserGenerator({ seed, eventTime: "sequence" });
  return Array.from({ length: count }, () => generator.next().id);
}

test.serial(
  "100,000 JSON records are produced and read back as exactly 100,000 distinct, valid ids",
  async (t) => {
    const topic = await newTopic("users-json");
    const bootstrap = services().kafka.bootstrap;
    const run = await runCli(
      ["--brokers", bootstrap, "--topic", topic, "--count", "100000", "--seed", "1"],
      login(),
    );
    t.is(run.status, 0, run.stderr);
    t.like(run.summary, { sent: 100_000, failed: 0 });
    const messages = await readTopic(services().kafka, topic);
    const ids = keysOf(messages);
    t.is(messages.length, 100_000);
    t.is(new Set(ids).size, 100_000);
    t.deepEqual([...ids].sort(), idsOfSeed(1, 100_000).sort());
    const invalid = messages
      .filter((_, index) => index % 97 === 0)
      .map((message) => JSON.parse(message.value!.toString()) as Record<string, unknown>)
      .flatMap((user) => validateUser(user).map((problem) => `${String(user.id)}: ${problem}`));
    t.deepEqual(invalid, []);
    t.true(
      messages.every(
        (message) => (JSON.parse(message.value!.toString()) as { id: string }).id === message.key!.toString(),
      ),
    );
  },
);

test.serial("Avro through the real registry: Confluent wire format, decodable by schema id", async (t) => {
  const topic = await newTopic("users-avro");
  const { kafka, registry } = services();
  const run = await runCli(
    ["--brokers", kafka.bootstrap, "--topic", topic, "--count", "5000", "--format", "avro"],
    { PRODUCER_SCHEMA_REGISTRY: registry.url, ...login() },
  );
  t.is(run.status, 0, run.stderr);
  t.like(run.summary, { sent: 5_000, failed: 0 });
  const messages = await readTopic(kafka, topic);
  t.is(new Set(keysOf(messages)).size, 5_000);
  const client = new SchemaRegistry({ host: registry.url });
  const schemaId = await client.getLatestSchemaId(`${topic}-value`);
  const problems: string[] = [];
  for (const message of messages.slice(0, 500)) {
    t.is(message.value![0], 0);
    t.is(message.value!.readUInt32BE(1), schemaId);
    const decoded = (await client.decode(message.value!)) as Record<string, unknown>;
    t.is(decoded.id, message.key!.toString());
    t.is(typeof decoded.event_time, "number");
    const user = {
      ...decoded,
      dob: new Date((decoded.dob as number) * 86_400_000).toISOString().slice(0, 10),
      registered_at: new Date(decoded.registered_at as number).toISOString(),
      event_time: new Date(decoded.event_time as number).toISOString(),
    };
    problems.push(...validateUser(user));
  }
  t.deepEqual(problems, []);
});

test.serial("gzip compression: every record arrives and decodes", async (t) => {
  const topic = await newTopic("users-gzip");
  const bootstrap = services().kafka.bootstrap;
  const run = await runCli(
    ["--brokers", bootstrap, "--topic", topic, "--count", "20000", "--compression", "gzip", "--seed", "3"],
    login(),
  );
  t.is(run.status, 0, run.stderr);
  t.like(run.summary, { sent: 20_000, failed: 0 });
  const messages = await readTopic(services().kafka, topic);
  t.deepEqual(keysOf(messages).sort(), idsOfSeed(3, 20_000).sort());
  t.deepEqual(validateUser(JSON.parse(messages[0]!.value!.toString())), []);
});

test.serial("a missing topic is one clear line and exit 1", async (t) => {
  const run = await runCli(
    ["--brokers", services().kafka.bootstrap, "--topic", "no-such-topic", "--count", "10"],
    login(),
  );
  t.is(run.status, 1);
  t.regex(
    run.stderr.trim(),
    /^producer: Unable to produce to topic "no-such-topic": it does not exist on 127\.0\.0\.1:\d+ \(or "producer" \(SASL\/SCRAM-SHA-512\) may not describe it: check its ACLs\)\. Create it first/,
  );
  t.is(run.stderr.trim().split("\n").length, 1);
});

test.serial(
  "a wrong password: one line naming the brokers and the username, never the password, exit 3",
  async (t) => {
    const topic = await newTopic("users-wrong-password", 1);
    const wrong = "NotThePassword42";
    const run = await runCli(["--brokers", services().kafka.bootstrap, "--topic", topic, "--count", "10"], {
      ...login(),
      PRODUCER_SASL_PASSWORD: wrong,
    });
    t.is(run.status, 3);
    const lines = run.stderr.trim().split("\n");
    t.is(lines.length, 1, run.stderr);
    t.regex(
      lines[0]!,
      /^producer: Unable to log in to Kafka at 127\.0\.0\.1:\d+ as "producer" \(SASL\/SCRAM-SHA-512\): .*invalid credentials with SASL mechanism SCRAM-SHA-512.*\. Check --sasl-username \(or PRODUCER_SASL_USERNAME\) and PRODUCER_SASL_PASSWORD\.$/,
    );
    t.false(`${run.stdout}${run.stderr}`.includes(wrong), "the password is printed");
    t.is((await readTopic(services().kafka, topic)).length, 0);
  },
);

test.serial(
  "no login: the SASL listener refuses the producer, one line that points at --sasl-username",
  async (t) => {
    const topic = await newTopic("users-anonymous", 1);
    const run = await runCli(
      ["--brokers", services().kafka.bootstrap, "--topic", topic, "--count", "10"],
      {},
    );
    t.is(run.status, 1);
    const lines = run.stderr.trim().split("\n");
    t.is(lines.length, 1, run.stderr);
    t.regex(
      lines[0]!,
      /^producer: Unable to connect to Kafka at 127\.0\.0\.1:\d+ after \d+ retries: .*\(and whether they require a login: --sasl-username\)\.$/,
    );
    t.is((await readTopic(services().kafka, topic)).length, 0);
  },
);

test.serial(
  "the streaming job's login cannot write the users topic: one line naming the principal and its ACLs, exit 3",
  async (t) => {
    const topic = await newTopic("users-job-writes", 1);
    await services().grant("streaming-job", pipelineAclInputs(topic));
    const run = await runCli(
      ["--brokers", services().kafka.bootstrap, "--topic", topic, "--count", "10"],
      producerLogin(services().kafka, "streaming-job"),
    );
    t.is(run.status, 3, run.stderr);
    const lines = run.stderr.trim().split("\n");
    t.is(lines.length, 1, run.stderr);
    t.regex(
      lines[0]!,
      /^producer: Kafka at 127\.0\.0\.1:\d+ denied "streaming-job" \(SASL\/SCRAM-SHA-512\) writing to topic "users-job-writes_\w+": .*Check the principal's ACLs \(Write and Describe on topic "users-job-writes_\w+"\)\.$/,
    );
    t.is((await readTopic(services().kafka, topic)).length, 0);
  },
);

test.serial(
  "the producer's login does not see the DLQ: producing there fails as for a missing topic",
  async (t) => {
    const topic = await newTopic("users-dlq-probe", 1);
    const deadLetters = `${topic}.dlq`;
    await services().createTopic(deadLetters, 1);
    const run = await runCli(
      ["--brokers", services().kafka.bootstrap, "--topic", deadLetters, "--count", "10"],
      login(),
    );
    t.is(run.status, 1);
    t.regex(
      run.stderr.trim(),
      /^producer: Unable to produce to topic "users-dlq-probe_\w+\.dlq": it does not exist on 127\.0\.0\.1:\d+ \(or "producer" \(SASL\/SCRAM-SHA-512\) may not describe it: check its ACLs\)\./,
    );
    t.is((await readTopic(services().kafka, deadLetters)).length, 0);
  },
);

test.serial("an unreachable schema registry is one clear line and exit 1", async (t) => {
  const topic = await newTopic("users-no-registry", 1);
  const run = await runCli(
    [
      "--brokers",
      services().kafka.bootstrap,
      "--topic",
      topic,
      "--format",
      "avro",
      "--schema-registry",
      "http://127.0.0.1:1",
    ],
    login(),
  );
  t.is(run.status, 1);
  t.regex(
    run.stderr.trim(),
    /^producer: Unable to register the users schema at http:\/\/127\.0\.0\.1:1: .*Check --schema-registry\.$/,
  );
});

test.serial("SIGTERM mid-run: exit 0, and every record reported sent is in the topic", async (t) => {
  const topic = await newTopic("users-sigterm");
  const bootstrap = services().kafka.bootstrap;
  let signalled = false;
  const run = await runCli(
    ["--brokers", bootstrap, "--topic", topic, "--count", "0", "--seed", "5"],
    login(),
    {
      onLine: (line, child: ChildProcess) => {
        if (!signalled && line.event === "progress" && Number(line.sent) >= 20_000) {
          signalled = true;
          child.kill("SIGTERM");
        }
      },
    },
  );
  t.true(signalled);
  t.is(run.status, 0, run.stderr);
  t.like(run.summary, { failed: 0, stopped_by: "signal" });
  const sent = Number(run.summary?.sent);
  const messages = await readTopic(services().kafka, topic);
  t.is(messages.length, sent);
  t.deepEqual(keysOf(messages).sort(), idsOfSeed(5, sent).sort());
});

test.serial("the broker stopped for 10 s and restarted mid-run: exactly all ids, exit 0", async (t) => {
  const topic = await newTopic("users-restart");
  const { kafka, run: runId, processes } = services();
  const broker = processes.find((managed) => managed.service === "kafka");
  if (broker === undefined) return t.fail("no kafka process in the harness");
  let restart: Promise<void> | undefined;
  const count = 150_000;
  const run = await runCli(
    [
      "--brokers",
      kafka.bootstrap,
      "--topic",
      topic,
      "--count",
      String(count),
      "--rate",
      "10000",
      "--seed",
      "9",
    ],
    login(),
    {
      timeoutMs: 400_000,
      onLine: (line) => {
        if (restart === undefined && line.event === "progress" && Number(line.sent) >= 30_000) {
          restart = (async () => {
            const start = await stopBroker(runId, broker, kafka);
            await new Promise((resolve) => setTimeout(resolve, 10_000));
            restartedBroker = await start();
          })();
        }
      },
    },
  );
  await restart;
  t.truthy(restartedBroker, "the broker was restarted");
  t.is(run.status, 0, run.stderr);
  t.like(run.summary, { sent: count, failed: 0 });
  const messages = await readTopic(kafka, topic);
  t.is(messages.length, count, "no record lost or duplicated");
  t.deepEqual(keysOf(messages).sort(), idsOfSeed(9, count).sort());
});

test.serial("--rate and --duration: about the asked rate, stopped by the duration, exit 0", async (t) => {
  const topic = await newTopic("users-rate");
  const bootstrap = services().kafka.bootstrap;
  const run = await runCli(
    ["--brokers", bootstrap, "--topic", topic, "--count", "0", "--rate", "2000", "--duration", "3"],
    login(),
  );
  t.is(run.status, 0, run.stderr);
  t.like(run.summary, { failed: 0, stopped_by: "duration" });
  const sent = Number(run.summary?.sent);
  t.true(sent >= 4_000 && sent <= 6_200, `sent ${sent}`);
  t.true(Number(run.summary?.records_per_second) <= 2_100);
  t.is((await readTopic(services().kafka, topic)).length, sent);
});

test.serial("memory stays flat: 20x the records, about the same peak RSS", async (t) => {
  const bootstrap = services().kafka.bootstrap;
  const peak = async (count: number): Promise<number> => {
    const topic = await newTopic("users-memory");
    const run = await runCli(["--brokers", bootstrap, "--topic", topic, "--count", String(count)], login());
    t.is(run.status, 0, run.stderr);
    t.like(run.summary, { sent: count });
    return Number(run.summary?.max_rss_megabytes);
  };
  const small = await peak(10_000);
  const large = await peak(200_000);
  t.log(`peak RSS: ${small} MB for 10,000 records, ${large} MB for 200,000`);
  t.true(large < small + 100, `${large} MB vs ${small} MB`);
});

// Last: it leaves the broker stopped.
test.serial(
  "the broker gone for good mid-run: the send fails after its retries, one clear line, exit 1",
  async (t) => {
    const topic = await newTopic("users-broker-gone");
    const { kafka } = services();
    const broker = restartedBroker ?? services().processes.find((managed) => managed.service === "kafka");
    if (broker === undefined) return t.fail("no kafka process in the harness");
    let stopping: Promise<void> | undefined;
    const run = await runCli(
      ["--brokers", kafka.bootstrap, "--topic", topic, "--count", "0", "--rate", "5000"],
      login(),
      {
        timeoutMs: 240_000,
        onLine: (line) => {
          if (stopping === undefined && line.event === "progress" && Number(line.sent) >= 10_000) {
            stopping = broker.stop();
          }
        },
      },
    );
    await stopping;
    t.is(run.status, 1);
    t.true(Number(run.summary?.failed) > 0);
    t.true(Number(run.summary?.sent) >= 10_000);
    const lines = run.stderr.trim().split("\n");
    t.is(lines.length, 1, run.stderr);
    t.regex(lines[0]!, /^producer: Unable to send \d+ records to topic "users-broker-gone_[^"]+": /);
  },
);
