/**
 * The Spark job image on a real engine against the harness' Kafka and Cassandra. The container's own
 * entrypoint (submit.sh) submits the job, with the dev stack's job environment (addresses swapped for
 * the harness', SPARK_MASTER_URL=local[2] so driver and executors both run the image's Python and
 * jars). Its network is limited to loopback: an iptables rule rejects every packet of uid 185 (the
 * image's user) that leaves through another interface, so a dependency download at run time (ivy,
 * pip) would fail the test. Then SIGKILL and a new container on the same checkpoint volume.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { pipelineAclInputs, startServices } from "../harness";
import type { Harness } from "../harness";
import { readTopic } from "../e2e/producer-support";
import { createUsersTable, tableIds, waitUntil } from "../e2e/spark-job-support";
import { UserGenerator } from "../../producer/src/generator";
import { builtImage, builtStack, docker, dockerStatus, removeQuietly, runContainer } from "./support";

const image = builtImage("spark-job").imageName;
const producerImage = builtImage("producer").imageName;
const sparkUid = 185;
const egressRule = [
  "OUTPUT",
  "-m",
  "owner",
  "--uid-owner",
  String(sparkUid),
  "!",
  "-o",
  "lo",
  "-j",
  "REJECT",
];
const volume = `images-spark-checkpoints-${process.pid}`;
const containers = [`images-spark-job-a-${process.pid}`, `images-spark-job-b-${process.pid}`];

let harness: Harness<"kafka" | "cassandra"> | undefined;
let topic = "";
let keyspace = "";

test.before(async () => {
  execFileSync("iptables", ["-I", ...egressRule]);
  harness = await startServices({ services: ["kafka", "cassandra"], kraft: true });
  topic = harness.uniqueName("image_job");
  await harness.createTopic(topic, 2);
  await harness.createTopic(`${topic}.dlq`, 1);
  await harness.grant(["producer", "streaming-job"], pipelineAclInputs(topic));
  keyspace = harness.uniqueName("image_job");
  await createUsersTable(harness.cassandra, keyspace);
  docker(["volume", "create", volume]);
});

test.after.always(async () => {
  for (const name of containers) {
    const logs = dockerStatus(["logs", "--tail", "40", name]);
    if (logs.status === 0 && process.env["IMAGES_VERBOSE"]) process.stdout.write(logs.stdout + logs.stderr);
  }
  removeQuietly("container", containers);
  removeQuietly("volume", [volume]);
  try {
    execFileSync("iptables", ["-D", ...egressRule]);
  } catch {
    // already removed
  }
  await harness?.stop();
});

function services(): Harness<"kafka" | "cassandra"> {
  if (harness === undefined) throw new Error("the harness did not start");
  return harness;
}

/** The dev stack's job container environment with the harness' addresses. */
function jobEnvironment(): string[] {
  const { kafka, cassandra } = services();
  const stackEnv = builtStack().containers["users-stream-0"]?.env;
  if (!stackEnv) throw new Error("the dev stack has no users-stream-0 container");
  const env: Record<string, string> = {
    ...stackEnv,
    KAFKA_BOOTSTRAP_SERVERS: kafka.bootstrap,
    KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
    KAFKA_SASL_USERNAME: kafka.principals["streaming-job"].username,
    KAFKA_SASL_PASSWORD: kafka.principals["streaming-job"].password,
    KAFKA_TOPIC: topic,
    DLQ_TOPIC: `${topic}.dlq`,
    CASSANDRA_HOSTS: cassandra.contactPoints.join(","),
    CASSANDRA_PORT: String(cassandra.port),
    CASSANDRA_USERNAME: cassandra.username,
    CASSANDRA_PASSWORD: cassandra.password,
    CASSANDRA_LOCAL_DC: cassandra.localDataCenter,
    CASSANDRA_KEYSPACE: keyspace,
    TRIGGER_INTERVAL: "2 seconds",
    // Small micro-batches, so that the SIGKILL below lands while the second batch is still streaming.
    MAX_OFFSETS_PER_TRIGGER: "2500",
    SPARK_MASTER_URL: "local[2]",
    SPARK_DRIVER_HOST: "127.0.0.1",
  };
  return Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
}

function startJob(name: string): void {
  docker([
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "host",
    "--memory",
    "3g",
    "-v",
    `${volume}:/checkpoints`,
    ...jobEnvironment(),
    image,
  ]);
}

function produce(seed: number, count: number): string[] {
  const login = services().kafka.principals.producer;
  const run = runContainer([
    "--network",
    "host",
    ...["-e", `PRODUCER_SASL_USERNAME=${login.username}`, "-e", `PRODUCER_SASL_PASSWORD=${login.password}`],
    producerImage,
    "--brokers",
    services().kafka.bootstrap,
    "--topic",
    topic,
    "--count",
    String(count),
    "--seed",
    String(seed),
  ]);
  if (run.status !== 0) throw new Error(`producer exited ${run.status}: ${run.stderr.slice(-1000)}`);
  const generator = new UserGenerator({ seed, eventTime: "sequence" });
  return Array.from({ length: count }, () => generator.next().id);
}

async function waitForExactly(expected: ReadonlySet<string>, timeoutMs: number): Promise<Set<string>> {
  let last: Set<string> | null = null;
  await waitUntil(
    async () => {
      last = await tableIds(services().cassandra, keyspace);
      return last !== null && last.size >= expected.size;
    },
    timeoutMs,
    () =>
      `the table holds ${last?.size ?? "?"} of ${expected.size} ids (job log: docker logs ${containers.join(" / ")})`,
    3_000,
  );
  return last ?? new Set();
}

test.serial("the image runs as uid 185 and its network is limited to loopback", (t) => {
  t.is(docker(["image", "inspect", "--format", "{{.Config.User}}", image]).trim(), String(sparkUid));
  const id = runContainer(["--entrypoint", "id", "--network", "host", image]);
  t.regex(id.stdout, /^uid=185\b/);
  // The limit works: uid 185 cannot reach PyPI (or anything not on loopback), root can.
  const probe = [
    "--network",
    "host",
    "--entrypoint",
    "python3",
    image,
    "-c",
    "import socket; socket.create_connection(('pypi.org', 443), timeout=10)",
  ];
  const limited = runContainer(probe);
  t.not(limited.status, 0, "uid 185 reached pypi.org: the egress limit is not in force");
  const root = runContainer(["--user", "0", ...probe]);
  t.is(
    root.status,
    0,
    `root could not reach pypi.org either, so the check above proves nothing: ${root.stderr}`,
  );
});

test.serial(
  "the entrypoint submits the job: exactly the sent ids land in Cassandra; after SIGKILL and a restart on the same checkpoint volume, still exactly the sent set",
  async (t) => {
    const first = produce(21, 20_000);
    startJob(containers[0]!);
    const landed = await waitForExactly(new Set(first), 8 * 60_000);
    t.deepEqual([...landed].sort(), [...first].sort());
    const logs = dockerStatus(["logs", containers[0]!]);
    t.notRegex(logs.stdout + logs.stderr, /Ivy Default Cache|resolving dependencies|Downloading/i);

    // A second batch; the driver is killed with SIGKILL while it works on it.
    const second = produce(22, 20_000);
    await waitUntil(
      async () => ((await tableIds(services().cassandra, keyspace))?.size ?? 0) > first.length,
      5 * 60_000,
      () => "the job wrote nothing of the second batch",
      1_000,
    );
    docker(["kill", "--signal", "KILL", containers[0]!]);
    const partial = (await tableIds(services().cassandra, keyspace))?.size ?? 0;
    t.log(`killed with ${partial - first.length} of ${second.length} second-batch rows written`);
    t.true(partial - first.length < second.length, "the kill came after the second batch was all written");
    const third = produce(23, 5_000);
    startJob(containers[1]!);
    const expected = new Set([...first, ...second, ...third]);
    const after = await waitForExactly(expected, 8 * 60_000);
    // Give a re-run of the last batch time to add anything it should not.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const settled = (await tableIds(services().cassandra, keyspace)) ?? after;
    t.is(settled.size, expected.size);
    t.deepEqual([...settled].sort(), [...expected].sort());
    // Every record was valid: nothing went to the dead-letter topic, before or after the kill.
    t.is((await readTopic(services().kafka, `${topic}.dlq`)).length, 0);
  },
);
