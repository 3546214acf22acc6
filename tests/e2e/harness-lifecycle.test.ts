import test from "ava";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import {
  HarnessError,
  assertPortFree,
  cleanupStaleRuns,
  findJava,
  isAlive,
  repoRoot,
  runDirectory,
  sleep,
} from "../harness/lib";
import { brokerAnswers } from "../harness/services/kafka";
import type { KafkaEndpoint } from "../harness/services/kafka";

const run = promisify(execFile);
const cliPath = join(repoRoot(), "tests", "harness", "cli.ts");
const tsx = join(repoRoot(), "node_modules", ".bin", "tsx");

/** Waits up to 10 s for `pid` to be gone (an exited child may linger briefly as a zombie). */
async function gone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100 && isAlive(pid); attempt++) await sleep(100);
  return !isAlive(pid);
}

test.serial("CLI: up then down leaves no process and no data directory behind", async (t) => {
  const cliRunId = `clitest-${process.pid}`;
  const env = { ...process.env, DATA_PIPELINE_HARNESS_RUN: cliRunId };
  const upResult = await run(tsx, [cliPath, "up", "--services", "kafka", "--kraft", "--json"], { env });
  const endpoints = JSON.parse(upResult.stdout) as { kafka: KafkaEndpoint };
  t.true(
    await brokerAnswers(endpoints.kafka.bootstrap, endpoints.kafka.admin),
    "broker answers the admin after the CLI exited",
  );
  const status = await run(tsx, [cliPath, "status"], { env });
  const pids = [...status.stdout.matchAll(/^pid (\d+) running/gm)].map((match) => Number(match[1]));
  t.true(pids.length >= 1, status.stdout);
  t.true(existsSync(join(runDirectory(cliRunId), "kafka", "data")));
  const downResult = await run(tsx, [cliPath, "down"], { env });
  t.regex(downResult.stdout, /stopped 1 process/);
  for (const pid of pids) t.true(await gone(pid), `pid ${pid} still running`);
  t.false(existsSync(runDirectory(cliRunId)), "run directory removed");
  const after = await run(tsx, [cliPath, "status"], { env }).catch(
    (error: { code: number; stdout: string }) => error,
  );
  t.is((after as { code?: number }).code, 1);
});

test.serial("CLI: a bad flag prints usage and exits 2", async (t) => {
  const error = await run(tsx, [cliPath, "up", "--no-such-flag"]).catch((failure: unknown) => failure);
  t.is((error as { code?: number }).code, 2);
  t.regex((error as { stderr: string }).stderr, /usage: npm run services/);
});

test.serial("a run killed half-way is cleaned up by the next run", async (t) => {
  const fixture = join(repoRoot(), "tests", "e2e", "fixtures", "start-and-hang.ts");
  const child = spawn(process.execPath, ["--import=tsx", fixture, "zookeeper"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolvePromise, reject) => {
    createInterface({ input: child.stdout }).once("line", resolvePromise);
    child.once("exit", (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  const started = JSON.parse(line) as { run: string; pids: number[] };
  t.true(started.pids.length > 0);
  // SIGKILL: the owner dies without running its exit hook, so its services are orphaned.
  child.kill("SIGKILL");
  await sleep(500);
  for (const pid of started.pids) t.true(isAlive(pid), "service orphaned after its owner was killed");
  const cleaned = await cleanupStaleRuns();
  t.true(cleaned.includes(started.run), `cleaned: ${cleaned.join(",")}`);
  for (const pid of started.pids) t.true(await gone(pid), `orphan ${pid} still running`);
  t.false(existsSync(runDirectory(started.run)));
});

test.serial("failures are one line naming the service and the cause", async (t) => {
  const server = createServer();
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  try {
    const error = await t.throwsAsync(assertPortFree("kafka", port, "/tmp/kafka.log"), {
      instanceOf: HarnessError,
    });
    t.regex(
      error?.message ?? "",
      new RegExp(`^kafka: port 127\\.0\\.0\\.1:${port} taken .*\\(log: /tmp/kafka.log\\)$`),
    );
  } finally {
    server.close();
  }
  const java = t.throws(() => findJava("cassandra", { minimum: 99 }), { instanceOf: HarnessError });
  t.regex(java?.message ?? "", /^cassandra: missing java: needs Java 99\+/);
  t.false((java?.message ?? "").includes("\n"));
});
