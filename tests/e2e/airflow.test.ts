/**
 * The users_pipeline DAG (dags/) on the harness: real Airflow from the project venv runs one DAG
 * run with `dag.test()` (dags/tests/run_dag.py, SQLite metadata DB in a temp AIRFLOW_HOME), target
 * `local`: check_sources against the real Kafka and Cassandra, the producer CLI as a local process,
 * the Spark streaming job (spark/) consuming, and the real verify step counting the table. Then the
 * job is stopped and a second run must fail in verify_rows.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { airflowVariables, environmentOf } from "../../contracts/interfaces";
import { startServices } from "../harness";
import type { Harness } from "../harness";
import { repoRoot, runDirectory, runLogDirectory } from "../harness/lib";
import { ensureVenv } from "../harness/services/venv";
import { producerCli } from "../unit/producer/cli-runner";
import { pipelineAclInputs } from "../harness";
import { harnessConnections, harnessProducerLogin } from "./airflow-support";
import type { JobOptions, JobRuntime, RunningJob } from "./spark-job-support";
import { newJobPipeline, prepareJobRuntime, startJob, tableIds } from "./spark-job-support";

type AirflowHarness = Harness<"kafka" | "cassandra">;
let harness: AirflowHarness | undefined;
let runtime: JobRuntime | undefined;
let python: string | undefined;
let pipeline: Omit<JobOptions, "name"> | undefined;
let job: RunningJob | undefined;

test.before(async () => {
  python = (await ensureVenv()).python;
  runtime = await prepareJobRuntime();
  harness = await startServices({ services: ["kafka", "cassandra"], kraft: true });
  // The producer and the job get their ACLs there; check_sources logs in as airflow.
  pipeline = await newJobPipeline(harness, "airflow", 2);
  await harness.grant("airflow", pipelineAclInputs(pipeline.topic));
});

test.after.always(async () => {
  if (job?.alive()) await job.process.stop(5_000);
  await harness?.stop();
});

/** What run_dag.py printed about the run, and how it ended. */
interface DagTestRun {
  readonly status: number | null;
  readonly state: string | undefined;
  readonly tasks: Record<string, string>;
  readonly tries: Record<string, number>;
  readonly seconds: number | undefined;
  readonly log: string;
  readonly logPath: string;
}

/**
 * The environment the Airflow component sets in every Airflow process (AIRFLOW_VAR_*,
 * AIRFLOW_CONN_*, built from the same descriptors), for target `local`, plus an AIRFLOW_HOME in the
 * harness run directory (removed with it).
 */
function airflowEnvironment(count: number, verifyTimeoutSeconds: number): Record<string, string> {
  if (!harness || !pipeline) throw new Error("harness did not start");
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key, value]) => value !== undefined && !key.startsWith("AIRFLOW") && !key.startsWith("PRODUCER_"),
    ),
  ) as Record<string, string>;
  return {
    ...inherited,
    AIRFLOW_HOME: mkdtempSync(join(runDirectory(harness.run), "airflow-home-")),
    ...environmentOf(airflowVariables, {
      USERS_PIPELINE_SCHEDULE: "@daily",
      AIRFLOW_VAR_PIPELINE_TARGET: "local",
      AIRFLOW_VAR_USERS_TOPIC: pipeline.topic,
      AIRFLOW_VAR_PRODUCER_COUNT: count,
      AIRFLOW_VAR_PRODUCER_ENV: JSON.stringify({
        PRODUCER_BROKERS: pipeline.kafka.bootstrap,
        PRODUCER_TOPIC: pipeline.topic,
        PRODUCER_FORMAT: "json",
      }),
      AIRFLOW_VAR_PRODUCER_COMMAND: JSON.stringify([process.execPath, "--import", "tsx", producerCli]),
      ...harnessProducerLogin(pipeline.kafka),
      AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS: verifyTimeoutSeconds,
      AIRFLOW_VAR_CASSANDRA_KEYSPACE: pipeline.keyspace,
      AIRFLOW_VAR_CASSANDRA_TABLE: "users",
      ...harnessConnections(pipeline.kafka, harness.cassandra, pipeline.keyspace),
    }),
  };
}

let dagRuns = 0;
/** Runs dags/tests/run_dag.py with the venv's python; its output goes to the harness log directory. */
function runDag(count: number, verifyTimeoutSeconds: number): Promise<DagTestRun> {
  if (!python || !harness) throw new Error("harness did not start");
  const logPath = join(runLogDirectory(harness.run), `airflow-dag-test-${++dagRuns}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(python, [join(repoRoot(), "dags", "tests", "run_dag.py")], {
    cwd: repoRoot(),
    env: airflowEnvironment(count, verifyTimeoutSeconds),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    log.write(chunk);
  });
  child.stderr.pipe(log);
  const timer = setTimeout(() => child.kill("SIGKILL"), 12 * 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      log.end(() => {
        const report = stdout
          .split("\n")
          .flatMap((line) => {
            try {
              const parsed = JSON.parse(line) as Record<string, unknown>;
              return parsed.event === "dag_test" ? [parsed] : [];
            } catch {
              return [];
            }
          })
          .at(-1);
        resolve({
          status,
          state: report?.state as string | undefined,
          tasks: (report?.tasks as Record<string, string> | undefined) ?? {},
          tries: (report?.tries as Record<string, number> | undefined) ?? {},
          seconds: report?.seconds as number | undefined,
          log: readFileSync(logPath, "utf8"),
          logPath,
        });
      });
    });
  });
}

test.serial(
  "dag.test(): check_sources -> producer CLI (local) -> Spark job -> verify_rows passes with the 2,000 ids",
  async (t) => {
    t.timeout(15 * 60_000);
    if (!runtime || !pipeline || !harness) throw new Error("harness did not start");
    job = await startJob(runtime, { ...pipeline, name: "users-stream-airflow" });
    const run = await runDag(2_000, 240);
    t.log(`dag.test() ${run.state} in ${run.seconds} s (log: ${run.logPath})`);
    t.is(run.status, 0, run.log.slice(-3_000));
    t.is(run.state, "success");
    t.deepEqual(run.tasks, { check_sources: "success", produce: "success", verify_rows: "success" });
    t.deepEqual(run.tries, { check_sources: 1, produce: 1, verify_rows: 1 });
    t.regex(run.log, /producer summary: \{.*"sent": 2000/);
    const ids = await tableIds(harness.cassandra, pipeline.keyspace);
    t.is(ids?.size, 2_000);
  },
);

test.serial("dag.test() with the Spark job stopped: verify_rows times out and the run fails", async (t) => {
  t.timeout(15 * 60_000);
  if (!pipeline || !harness) throw new Error("harness did not start");
  if (job?.alive()) await job.process.stop(10_000);
  t.false(job?.alive() ?? false, "the Spark job is still running");
  const run = await runDag(500, 15);
  t.log(`dag.test() ${run.state} in ${run.seconds} s (log: ${run.logPath})`);
  t.is(run.status, 3, run.log.slice(-3_000));
  t.is(run.state, "failed");
  t.deepEqual(run.tasks, { check_sources: "success", produce: "success", verify_rows: "failed" });
  t.is(run.tries.verify_rows, 2, "verify_rows is retried once before the run fails");
  t.regex(run.log, /Unable to verify the run: 2000 rows after 15 s, expected at least 2500/);
  const ids = await tableIds(harness.cassandra, pipeline.keyspace);
  t.is(ids?.size, 2_000);
});
