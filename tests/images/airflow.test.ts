/**
 * The Airflow image on a real engine. First, in a container of the image: the DAG folder imports
 * without error and the pinned providers import at their pinned versions. Then
 * `airflow dags test users_pipeline` in a container with the dev stack's Airflow environment (the
 * Docker target's settings), addresses swapped for the harness' Kafka and Cassandra:
 * - its DockerOperator starts the producer image on this engine through the Docker API. The engine
 *   socket, mounted into the container, stands in for the stack's docker-socket-proxy (which only
 *   filters the same API); network mode `host` stands in for the stack's network;
 * - a Spark job container (the job image's own entrypoint) consumes the topic into Cassandra;
 * - verify_rows passes. With the job container stopped, a second run fails in verify_rows.
 * Stand-in differences (README, "Image tier"): no Postgres (SQLite metadata DB in the container) and
 * the simple auth manager instead of FAB, which the upstream image ships and the stand-in does not.
 */
import test from "ava";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipelineAclInputs, startServices } from "../harness";
import type { Harness } from "../harness";
import { harnessConnections, harnessProducerLogin } from "../e2e/airflow-support";
import { createUsersTable, tableIds } from "../e2e/spark-job-support";
import { startSocketProxy } from "./socket-proxy";
import type { SocketProxy } from "./socket-proxy";
import { builtImage, builtStack, docker, dockerStatus, removeQuietly, runContainerAsync } from "./support";

const image = builtImage("airflow").imageName;
const jobImage = builtImage("spark-job").imageName;
const producerImage = builtImage("producer").imageName;
const socket = (process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");
const jobContainer = `images-airflow-job-${process.pid}`;
const checkpoints = `images-airflow-checkpoints-${process.pid}`;
const repositoryRoot = join(__dirname, "..", "..");
const logDirectory = join(repositoryRoot, ".cache", "images", "logs");
let dagsTests = 0;

let harness: Harness<"kafka" | "cassandra"> | undefined;
let proxy: SocketProxy | undefined;
let topic = "";
let keyspace = "";

/** Exact pins of airflow/requirements.txt: distribution -> version. */
function pinnedProviders(): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const line of readFileSync(join(repositoryRoot, "airflow", "requirements.txt"), "utf8").split("\n")) {
    const match = /^([A-Za-z0-9._-]+)==([^\s#]+)/.exec(line.trim());
    if (match) pins[match[1]!] = match[2]!;
  }
  return pins;
}

test.before(async () => {
  harness = await startServices({ services: ["kafka", "cassandra"], kraft: true });
  topic = harness.uniqueName("image_airflow");
  await harness.createTopic(topic, 2);
  await harness.createTopic(`${topic}.dlq`, 1);
  await harness.grant(["producer", "streaming-job", "airflow"], pipelineAclInputs(topic));
  keyspace = harness.uniqueName("image_airflow");
  await createUsersTable(harness.cassandra, keyspace);
  docker(["volume", "create", checkpoints]);
  proxy = await startSocketProxy(socket);
});

test.after.always(async () => {
  removeQuietly("container", [jobContainer]);
  removeQuietly("volume", [checkpoints]);
  await proxy?.stop();
  await harness?.stop();
});

function services(): Harness<"kafka" | "cassandra"> {
  if (harness === undefined) throw new Error("the harness did not start");
  return harness;
}

/** The dev stack's scheduler environment, with the harness' addresses and a SQLite metadata DB. */
function airflowEnvironment(verifyTimeoutSeconds: number): string[] {
  const stackEnv = builtStack().containers["airflow-scheduler"]?.env;
  if (!stackEnv) throw new Error("the dev stack has no airflow-scheduler container");
  const { kafka, cassandra } = services();
  const producerEnv = {
    ...(JSON.parse(stackEnv["AIRFLOW_VAR_PRODUCER_ENV"] ?? "{}") as Record<string, string>),
  };
  producerEnv["PRODUCER_BROKERS"] = kafka.bootstrap;
  producerEnv["PRODUCER_TOPIC"] = topic;
  const env: Record<string, string> = {
    ...stackEnv,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: "sqlite:////opt/airflow/airflow.db",
    AIRFLOW__CORE__EXECUTOR: "LocalExecutor",
    AIRFLOW__CORE__AUTH_MANAGER:
      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    ...harnessConnections(kafka, cassandra, keyspace),
    ...harnessProducerLogin(kafka),
    AIRFLOW_VAR_USERS_TOPIC: topic,
    AIRFLOW_VAR_CASSANDRA_KEYSPACE: keyspace,
    AIRFLOW_VAR_PRODUCER_IMAGE: producerImage,
    AIRFLOW_VAR_PRODUCER_ENV: JSON.stringify(producerEnv),
    AIRFLOW_VAR_PRODUCER_COUNT: "5000",
    AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS: String(verifyTimeoutSeconds),
    // socket-proxy.ts stands in for the stack's docker-socket-proxy (tcp://docker-socket-proxy:2375),
    // with the same permissions, in front of this engine's socket.
    AIRFLOW_VAR_DOCKER_URL: proxy?.url ?? "tcp://proxy-not-started:2375",
    AIRFLOW_VAR_DOCKER_NETWORK: "host",
  };
  return Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
}

/** `docker run` of the Airflow image on the host network with the DAG environment. */
function airflowRun(
  verifyTimeoutSeconds: number,
  script: string,
  extraEnv: Readonly<Record<string, string>> = {},
): ReturnType<typeof runContainerAsync> {
  return runContainerAsync([
    "--network",
    "host",
    ...airflowEnvironment(verifyTimeoutSeconds),
    ...Object.entries(extraEnv).flatMap(([key, value]) => ["-e", `${key}=${value}`]),
    image,
    "bash",
    "-c",
    script,
  ]);
}

function startJob(): void {
  const { kafka, cassandra } = services();
  const env: Record<string, string> = {
    ...(builtStack().containers["users-stream-0"]?.env ?? {}),
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
    CASSANDRA_KEYSPACE: keyspace,
    TRIGGER_INTERVAL: "2 seconds",
    SPARK_MASTER_URL: "local[2]",
    SPARK_DRIVER_HOST: "127.0.0.1",
  };
  docker([
    "run",
    "-d",
    "--name",
    jobContainer,
    "--network",
    "host",
    "--memory",
    "3g",
    "-v",
    `${checkpoints}:/checkpoints`,
    ...Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]),
    jobImage,
  ]);
}

test.serial(
  "runs as airflow (uid 50000); no DAG import errors; the pinned providers import at their pins",
  async (t) => {
    t.is(docker(["image", "inspect", "--format", "{{.Config.User}}", image]).trim(), "airflow");
    const pins = pinnedProviders();
    const check = [
      "import importlib, importlib.metadata as m, json, os",
      `pins = json.loads(${JSON.stringify(JSON.stringify(pins))})`,
      "modules = {'apache-airflow-providers-docker': 'airflow.providers.docker.operators.docker', 'apache-airflow-providers-cncf-kubernetes': 'airflow.providers.cncf.kubernetes.operators.pod', 'apache-airflow-providers-apache-kafka': 'airflow.providers.apache.kafka.hooks.base', 'apache-airflow-providers-apache-cassandra': 'airflow.providers.apache.cassandra.hooks.cassandra'}",
      "[importlib.import_module(modules[name]) for name in pins if name in modules]",
      "print(json.dumps({'uid': os.getuid(), 'versions': {name: m.version(name) for name in pins}}))",
    ].join("\n");
    const run = await airflowRun(
      60,
      'set -e; airflow db migrate >/dev/null 2>&1; python -c "$PROVIDER_CHECK"; airflow dags reserialize >/dev/null 2>&1; ' +
        "echo '--- import errors'; airflow dags list-import-errors --output json; echo '--- dags'; airflow dags list --output json",
      { PROVIDER_CHECK: check },
    );
    t.is(run.status, 0, run.stdout.slice(-3000) + run.stderr.slice(-3000));
    const report = JSON.parse(run.stdout.split("\n").find((line) => line.startsWith('{"uid"')) ?? "{}") as {
      uid: number;
      versions: Record<string, string>;
    };
    t.is(report.uid, 50000);
    t.deepEqual(report.versions, pins);
    // The CLI prints warnings (graphviz) before its JSON; the JSON is the last line.
    const errors =
      run.stdout.split("--- import errors")[1]?.split("--- dags")[0]?.trim().split("\n").at(-1) ?? "";
    t.true(errors === "[]" || /no data found/i.test(errors), `import errors: ${errors}`);
    t.regex(run.stdout.split("--- dags")[1] ?? "", /"dag_id": ?"users_pipeline"/);
  },
);

/** One `airflow dags test users_pipeline`: exit status, output, and each task's final state. */
interface DagsTest {
  readonly status: number | null;
  readonly output: string;
  readonly tasks: Record<string, string>;
}

/**
 * Runs `airflow dags test users_pipeline` in a fresh container, then reads the run's task states
 * back from the metadata DB with `airflow tasks states-for-dag-run` (JSON, the last line).
 */
async function dagsTest(verifyTimeoutSeconds: number): Promise<DagsTest> {
  const script = [
    "airflow db migrate >/dev/null 2>&1",
    "airflow dags test users_pipeline 2>&1; status=$?",
    `run=$(airflow dags list-runs users_pipeline -o json 2>/dev/null | tail -1 | python -c 'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')`,
    "echo '--- task states'",
    'airflow tasks states-for-dag-run users_pipeline "$run" -o json 2>/dev/null | tail -1',
    "exit $status",
  ].join("\n");
  const run = await airflowRun(verifyTimeoutSeconds, script);
  const output = run.stdout + run.stderr;
  mkdirSync(logDirectory, { recursive: true });
  writeFileSync(join(logDirectory, `airflow-dags-test-${++dagsTests}.log`), output);
  const statesLine = run.stdout.split("--- task states")[1]?.trim().split("\n").at(-1) ?? "[]";
  let tasks: Record<string, string> = {};
  try {
    const states = JSON.parse(statesLine) as { task_id: string; state: string }[];
    tasks = Object.fromEntries(states.map((state) => [state.task_id, state.state]));
  } catch {
    tasks = { unreadable: statesLine.slice(0, 200) };
  }
  return { status: run.status, output, tasks };
}

test.serial(
  "dags test with the Docker target's settings: DockerOperator runs the producer image, the job container consumes, verify_rows passes; with the job stopped it fails",
  async (t) => {
    startJob();
    const before = (await tableIds(services().cassandra, keyspace))?.size ?? -1;
    t.is(before, 0);
    const good = await dagsTest(300);
    t.log(`first run: exit ${good.status}, tasks ${JSON.stringify(good.tasks)}`);
    t.is(good.status, 0, good.output.slice(-4000));
    t.deepEqual(good.tasks, { check_sources: "success", produce: "success", verify_rows: "success" });
    t.regex(
      good.output,
      /"event":"summary","sent":5000,"failed":0/,
      "the producer container's summary is not in the task log",
    );
    t.notRegex(good.output, /state=failed/i);
    // Everything DockerOperator asked of the engine went through the proxy's permissions.
    t.deepEqual(proxy?.denied, []);
    t.is((await tableIds(services().cassandra, keyspace))?.size, 5000);

    docker(["stop", "--time", "10", jobContainer]);
    const bad = await dagsTest(45);
    t.log(`second run (job stopped): exit ${bad.status}, tasks ${JSON.stringify(bad.tasks)}`);
    t.deepEqual(bad.tasks, { check_sources: "success", produce: "success", verify_rows: "failed" });
    t.not(bad.status, 0, "airflow dags test exited 0 although verify_rows cannot pass");
    t.is((await tableIds(services().cassandra, keyspace))?.size, 5000);
    const leftovers = dockerStatus([
      "ps",
      "-a",
      "--filter",
      `ancestor=${producerImage}`,
      "--format",
      "{{.Names}}",
    ]);
    t.is(leftovers.stdout.trim(), "", "a producer container was left behind (auto_remove)");
  },
);

test.serial("the socket proxy stand-in refuses what the target's permissions refuse", async (t) => {
  const port = (proxy?.url ?? "").split(":").at(-1);
  const volumes = await fetch(`http://127.0.0.1:${port}/v1.41/volumes`);
  t.is(volumes.status, 403);
  const exec = await fetch(`http://127.0.0.1:${port}/v1.41/exec/x/start`, { method: "POST" });
  t.is(exec.status, 403);
  const version = await fetch(`http://127.0.0.1:${port}/v1.41/version`);
  t.is(version.status, 200);
});
