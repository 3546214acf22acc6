/**
 * `npm run bench:e2e`: the users stream (spark/) end to end on the harness: Kafka (KRaft) and
 * Cassandra as local processes, the job as a local driver (`local[2]`, see tests/e2e/spark-job-support.ts).
 * Writes bench/results/e2e.json and prints a summary.
 *
 * 1. Sustained throughput: a backlog of BENCH_E2E_BACKLOG (default 500,000) records plus
 *    BENCH_E2E_WARMUP_BATCHES (default 6) batches' worth (MAX_OFFSETS_PER_TRIGGER each) from the producer
 *    CLI, then the job starts. The warm-up batches bring the fresh JVM up to speed, as the stack bound
 *    warms its JVM up over two whole rounds (about 2M rows) before it measures. With 3 warm-up batches
 *    of 100k the window was measured while the driver was still compiling: JFR gave its C2 compiler
 *    thread 14 us of CPU per row there (0.10-0.15 of the machine) against 1.3 us in the bound's measured
 *    passes. With 15 of 100k (1.5M rows, as 6 of 250k now) the JIT's share of the Spark JVM's CPU
 *    in the window fell to ~0.1 (the bound's: 0.07) and the Spark JVM's CPU per row to within
 *    0.006 ms of the bound's. Every phase
 *    reports the JIT compiler threads' share of its CPU (`jit_cpu_ms_per_row`, bench/proc-cpu.ts)
 *    and the summary warns when the Spark JVM was still compiling; rows/s = rows written by the full batches
 *    after them (about the backlog) / time from their first start to the last end (the job's per-batch log
 *    lines), checked against the rows in Cassandra. A last batch of a few rows (the backlog's remainder
 *    after Spark's rate limit rounded the batches down, `remainder_batch_rows`) is drained but not
 *    measured: a sustained stream has none (bench/passes.ts `withoutRemainder`). The figure over all batches, cold start included, is
 *    reported beside it. Phase `avro` does the same with Avro records (Confluent wire format, the
 *    harness registry), reported beside the JSON figures. Phase `reference` does the same with
 *    spark/bench/stream_reference.py: the job's streaming query with Spark's from_json as its only decoder
 *    (no validation, no dead letters), the least a streaming query on this stack costs per row; the job
 *    and the reference run in the order A B B A, after one unmeasured pass of the reference that warms
 *    Kafka and Cassandra up (`stack_warmup_pass`), and each reports its two passes combined.
 * 2. Latency at a steady BENCH_E2E_RATE (default 1,000) records/s for BENCH_E2E_SECONDS (default 60):
 *    per row, Cassandra's WRITETIME minus the record's event_time (set by the producer when it makes
 *    the record, just before sending); p50/p99 over those rows. Before them, a warm-up at the same rate for
 *    BENCH_E2E_WARMUP_SECONDS (default 60), drained and not measured: a fresh driver on this 2-core machine
 *    takes ~45 s at 1,000 records/s before its batch times settle (JIT; 0.6-1.1 s per batch before,
 *    0.25-0.35 s after). Percentiles over all rows, warm-up included, are reported beside them.
 * 3. The Cassandra write ceiling in the same run: the same kind of rows (the producer's generator, same
 *    seed) inserted by cassandra-driver with concurrent prepared statements; ratio = 1 / 3. Run first,
 *    after a warm-up pass over the same rows, so Cassandra is warm for every measured phase.
 * 4. The stack's bound in the same run (spark/bench/stack_bound.py): a backlog of BENCH_E2E_BACKLOG
 *    records read by one Spark batch query with the job's connector settings and written to Cassandra,
 *    (a) parsed by Spark's from_json with no validation and no dead letters (about the least work per row a
 *    job on Kafka + Spark + the connector that parses its records can do), (b) through the job's decoder,
 *    each measured pass into an empty table of its own (as the throughput phase's), and (c) from_json again
 *    into a table that has just taken as many other rows as the throughput phase's warm-up batches
 *    wrote before its window (`from_json_loaded`): the job's table holds those rows in its window,
 *    (a) and (b) start on an empty table; with compaction held (below) that should cost nothing, and
 *    this variant shows whether it does. Each with the CPU time per row of Cassandra, Kafka, the Spark
 *    JVM (and Python workers, none since the JVM validator) (/proc): where the two cores go.
 *
 * Phases 1 and 2 report the same CPU figures (bench/proc-cpu.ts) over their measured windows, with the
 * machine's busy and steal (hypervisor) shares: runs here vary by +-20%, and steal shows a noisy neighbour.
 * The throughput passes and the bound's passes also report Cassandra's memtable flushes and compactions
 * of their tables in their windows (`cassandra_in_window`, from Cassandra's log: bench/cassandra-log.ts).
 *
 * Compaction: every table the bench writes has automatic compaction off (`holdCompaction`: the table's
 * own strategy with `enabled: false`, what `nodetool disableautocompaction` does). A size-tiered
 * compaction rewrites ~1M rows (four flushed sstables of ~250k) in 8-20 s of one of the two cores, and
 * a throughput pass's 500k-row window ends about where its table's second one starts: whether one fell
 * inside a window was chance, and it moved the job's rows/s by a fifth (the run of 2026-12-04 21:58: the
 * job's two passes had 0.3 s and 10 s of compaction in their windows, 25,493 and 21,854 rows/s), while
 * the bound's passes, 500k rows into empty tables, never had one. With it off every window holds the
 * same Cassandra work per row (its memtable flushes), and the ratios compare the pipelines. Compaction
 * costs the same for any job that writes these rows; deployed tables keep it (the schema job's CQL does
 * not touch it).
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { Client, concurrent } from "cassandra-driver";
import type { types } from "cassandra-driver";
import { UserGenerator } from "../producer/src/generator";
import { userFields } from "../contracts/users";
import { startServices } from "../tests/harness";
import { runLogDirectory } from "../tests/harness/lib";
import { cassandraClientOptions } from "../tests/harness/services/cassandra";
import type { CassandraEndpoint } from "../tests/harness/services/cassandra";
import { runCli } from "../tests/unit/producer/cli-runner";
import { producerLogin } from "../tests/e2e/producer-support";
import { cassandraQuiet, cpuSnapshot, cpuUse } from "./proc-cpu";
import type { CpuSnapshot, CpuUse } from "./proc-cpu";
import { addedWork, tableEvents, workInWindows } from "./cassandra-log";
import type { TableWork } from "./cassandra-log";
import { combinedPasses, withoutRemainder } from "./passes";
import type { JobOptions, JobRuntime, RunningJob } from "../tests/e2e/spark-job-support";
import {
  createUsersTable,
  newJobPipeline,
  prepareJobRuntime,
  sparkJobDirectory,
  sparkSubmitInvocation,
  startJob,
  tableIds,
  waitUntil,
} from "../tests/e2e/spark-job-support";

const backlog = Number(process.env.BENCH_E2E_BACKLOG ?? 500_000);
/** 6 batches of MAX_OFFSETS_PER_TRIGGER (250k): 1.5M rows before the window. */
const warmupBatches = Number(process.env.BENCH_E2E_WARMUP_BATCHES ?? 6);
const rate = Number(process.env.BENCH_E2E_RATE ?? 1_000);
const latencySeconds = Number(process.env.BENCH_E2E_SECONDS ?? 60);
/** Seconds at the steady rate before the measured window (JIT, connections warm up). */
const warmupSeconds = Number(process.env.BENCH_E2E_WARMUP_SECONDS ?? 60);
const partitions = Number(process.env.BENCH_E2E_PARTITIONS ?? 2);
const ceilingRows = Number(process.env.BENCH_E2E_CEILING_ROWS ?? 200_000);
const ceilingConcurrency = Number(process.env.BENCH_E2E_CEILING_CONCURRENCY ?? 256);
/** Phases to run (all by default; a subset while tuning, e.g. `BENCH_E2E_PHASES=throughput`). */
const phases = new Set(
  (process.env.BENCH_E2E_PHASES ?? "throughput,reference,avro,latency,ceiling,bound").split(","),
);
/** Driver heap: local mode runs the executors in the driver, so it holds each batch's cache too. */
const driverMemory = process.env.BENCH_E2E_DRIVER_MEMORY ?? "3g";
/** Extra spark-submit settings, `key=value;key=value` (for tuning runs). */
const sparkConf = Object.fromEntries(
  (process.env.BENCH_E2E_SPARK_CONF ?? "")
    .split(";")
    .filter(Boolean)
    .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
);
/**
 * Job settings of the throughput phase (tuned on this 2-core machine). Micro-batches of 250k
 * records, not the job's default 100k: each batch costs the driver its planning, its offset and
 * commit files and a few hundred ms of CPU in the JIT and the scheduler, and its two tasks end
 * unevenly. With compaction held, in one session: the streaming from_json reference 27,224 and
 * 26,975 rows/s with 100k, 29,542 and 27,677 with 250k; the job 25,333 and 24,376 against 26,096
 * and 29,452 (spark/README, Performance).
 */
const throughputEnv: Record<string, string> = {
  MAX_OFFSETS_PER_TRIGGER: process.env.BENCH_E2E_MAX_OFFSETS ?? "250000",
  TRIGGER_INTERVAL: "1 second",
  CASSANDRA_CONCURRENT_WRITES: process.env.BENCH_E2E_CONCURRENT_WRITES ?? "16",
  CASSANDRA_BATCH_SIZE_ROWS: process.env.BENCH_E2E_BATCH_ROWS ?? "50",
};
/** Job settings of the latency phase: short trigger, small batches. */
const latencyEnv: Record<string, string> = {
  MAX_OFFSETS_PER_TRIGGER: "10000",
  TRIGGER_INTERVAL: process.env.BENCH_E2E_LATENCY_TRIGGER ?? "100 milliseconds",
  CASSANDRA_CONCURRENT_WRITES: "16",
  CASSANDRA_BATCH_SIZE_ROWS: process.env.BENCH_E2E_LATENCY_BATCH_ROWS ?? "50",
};
const resultsPath = join(__dirname, "results", "e2e.json");
/** A measured window whose Spark JVM spent more than this share of its CPU compiling gets a warning. */
const jitShareWarning = 0.15;
const round = (value: number, digits = 0): number => Math.round(value * 10 ** digits) / 10 ** digits;

interface BatchLine {
  readonly end: number;
  readonly seconds: number;
  readonly rows: number;
  readonly written: number;
}

/** The job's `batch N: rows in X, written W, rejected R (to T), S s` lines with their end times. */
function batchLines(log: string): BatchLine[] {
  const pattern =
    /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) INFO users_stream: batch \d+: rows in (\d+), written (\d+), rejected \d+ \(to [^)]*\), ([\d.]+) s(?: \([^)]*\))?$/gm;
  return [...log.matchAll(pattern)].map((match) => ({
    end: Date.parse(`${match[1]!.replace(" ", "T")}.${match[2]}Z`),
    rows: Number(match[3]),
    written: Number(match[4]),
    seconds: Number(match[5]),
  }));
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Rows in `<keyspace>.users`, counted by paging through the ids (count(*) times out on 500k rows). */
async function countRows(endpoint: CassandraEndpoint, keyspace: string): Promise<number> {
  return (await tableIds(endpoint, keyspace))?.size ?? -1;
}

/**
 * The measured passes of spark/bench/stack_bound.py, which runs them in this order (it gets them as
 * BENCH_BOUND_PASSES, each with the keyspace of its own table). A B B A: a slow drift of the
 * machine (JIT still compiling, Cassandra flushing and compacting earlier phases' rows) weighs on
 * both variants alike; measured one after the other, the same from_json query ran 1.5-2x faster as
 * the second variant than as the first. Then the two passes of `from_json_loaded` (with
 * BENCH_BOUND_LOAD_ROWS) last, so that the flushes and compactions their loads leave behind are
 * billed to no other pass: in one run with the order A B C C B A the last `from_json` pass ran at
 * 17,498 rows/s against 21,808 for the first.
 */
const boundPasses = [
  "from_json",
  "job_decoder",
  "job_decoder",
  "from_json",
  "from_json_loaded",
  "from_json_loaded",
] as const;

/** One variant of spark/bench/stack_bound.py (a `RESULT {json}` line). */
interface StackBoundResult {
  readonly rows: number;
  readonly seconds: number;
  readonly rows_per_second: number;
  readonly cpu_ms_per_row?: Readonly<Record<string, number>>;
  readonly cpu_ms_per_row_total?: number;
  /** The part of cpu_ms_per_row that the JVMs' JIT compiler threads spent (bench/proc-cpu.ts). */
  readonly jit_cpu_ms_per_row?: Readonly<Record<string, number>>;
  /** rows/s of each measured pass. */
  readonly passes?: readonly number[];
  /** Each measured pass's [start, end], seconds since the epoch (not written to e2e.json). */
  readonly windows?: readonly (readonly [number, number])[];
  /** Cassandra's flushes and compactions of the passes' tables in their windows. */
  readonly cassandra_in_window?: TableWork;
}

/** Runs spark/bench/stack_bound.py with spark-submit and the job's environment; its results by variant. */
async function stackBound(
  runtime: JobRuntime,
  options: JobOptions,
  passKeyspaces: readonly string[],
  loadRows: number,
): Promise<Record<string, StackBoundResult>> {
  const {
    args,
    env: jobEnv,
    cwd,
  } = sparkSubmitInvocation(runtime, options, join(sparkJobDirectory, "bench", "stack_bound.py"));
  // Not a variable of the job (jobEnvironment refuses those): the script's own.
  const env = {
    ...jobEnv,
    BENCH_BOUND_PASSES: boundPasses.map((variant, index) => `${variant}=${passKeyspaces[index]}`).join(","),
    BENCH_BOUND_LOAD_ROWS: String(loadRows),
  };
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      runtime.sparkSubmit,
      args,
      { env, cwd, maxBuffer: 256 * 2 ** 20, timeout: 30 * 60_000 },
      (error, out, err) =>
        error
          ? reject(new Error(`stack_bound.py failed: ${error.message}\n${err.slice(-4_000)}`))
          : resolve(out),
    );
  });
  const results: Record<string, StackBoundResult> = {};
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("RESULT ")) continue;
    const { variant, ...result } = JSON.parse(line.slice("RESULT ".length)) as {
      variant: string;
    } & StackBoundResult;
    results[variant] = result;
  }
  if (!results.from_json || !results.job_decoder || !results.from_json_loaded)
    throw new Error(`stack_bound.py printed no results: ${stdout}`);
  return results;
}

async function main(): Promise<void> {
  const loadAtStart = round(loadavg()[0]!, 2);
  const runtime = await prepareJobRuntime();
  // The registry only for the Avro phase.
  const harness = await startServices({
    services: phases.has("avro") ? ["kafka", "cassandra", "registry"] : ["kafka", "cassandra"],
    kraft: true,
    tuned: true,
  });
  const registryUrl = (): string => {
    const registry = (harness as { registry?: { url: string } }).registry;
    if (!registry) throw new Error("the harness registry is not running");
    return registry.url;
  };
  const jobs: RunningJob[] = [];
  const client = new Client({
    ...cassandraClientOptions(harness.cassandra),
    socketOptions: { readTimeout: 120_000 },
  });
  try {
    /**
     * Turns automatic compaction off for `<keyspace>.users` (its strategy's other options kept):
     * every table the bench writes, so that no measured window pays for a compaction (see the
     * header: "Compaction").
     */
    const holdCompaction = async (keyspace: string): Promise<void> => {
      const row = (
        await client.execute(
          "SELECT compaction FROM system_schema.tables WHERE keyspace_name = ? AND table_name = 'users'",
          [keyspace],
          { prepare: true },
        )
      ).first();
      const options: Record<string, string> = { ...(row?.compaction ?? {}), enabled: "false" };
      const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
      const map = Object.entries(options)
        .map(([key, value]) => `${literal(key)}: ${literal(value)}`)
        .join(", ");
      await client.execute(`ALTER TABLE "${keyspace}".users WITH compaction = {${map}}`);
    };
    /** The contract's table in a new keyspace (as the schema job creates it), compaction held. */
    const benchTable = async (keyspace: string): Promise<void> => {
      await createUsersTable(harness.cassandra, keyspace);
      await holdCompaction(keyspace);
    };
    const pipeline = async (prefix: string) => {
      const created = await newJobPipeline(harness, prefix, partitions);
      await holdCompaction(created.keyspace);
      return created;
    };
    /** Flushes and compactions so far, from the harness Cassandra's log (bench/cassandra-log.ts). */
    const cassandraEvents = () =>
      tableEvents(readFileSync(join(runLogDirectory(harness.run), "cassandra.log"), "utf8"));
    // No --seed: a seeded run stamps event_time from a fixed reference clock; latency needs the wall clock.
    const produce = async (
      topic: string,
      count: number,
      recordsPerSecond: number,
      format: "json" | "avro" = "json",
    ) => {
      const run = await runCli(
        [
          ["--brokers", harness.kafka.bootstrap, "--topic", topic],
          ["--count", String(count), "--rate", String(recordsPerSecond)],
          format === "avro" ? ["--format", "avro", "--schema-registry", registryUrl()] : [],
        ].flat(),
        producerLogin(harness.kafka),
        { timeoutMs: 30 * 60_000 },
      );
      if (run.status !== 0) throw new Error(`producer failed: ${run.stderr}`);
      return run;
    };

    // 3. Cassandra's own write ceiling with the same kind of rows. It runs first, with its own
    // warm-up pass: Cassandra's JVM is then warm (JIT) for the job's phases, as a running cluster is.
    let ceiling:
      | ({
          rows_per_second: number;
          unlogged_batches: { rows_per_second: number } & Record<string, unknown>;
        } & Record<string, unknown>)
      | undefined;
    if (phases.has("ceiling")) {
      const ceilingKeyspace = harness.uniqueName("bench_ceiling");
      await benchTable(ceilingKeyspace);
      const generator = new UserGenerator({ seed: 42 });
      const names = userFields.map((field) => field.name);
      const rows: unknown[][] = [];
      for (let index = 0; index < ceilingRows; index++) {
        const user = generator.next() as unknown as Record<string, unknown>;
        rows.push(
          userFields.map((field) =>
            field.kind === "timestamp" ? new Date(user[field.name] as string) : user[field.name],
          ),
        );
      }
      const insert = `INSERT INTO ${ceilingKeyspace}.users (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`;
      // Warm-up pass, not measured: every row once (a fresh Cassandra JVM writes at half speed until
      // the JIT has compiled its write path). The measured passes below overwrite the same rows.
      await concurrent.executeConcurrent(client, insert, rows, {
        concurrencyLevel: ceilingConcurrency,
        raiseOnFirstError: true,
      });
      const ceilingStart = Date.now();
      await concurrent.executeConcurrent(client, insert, rows, {
        concurrencyLevel: ceilingConcurrency,
        raiseOnFirstError: true,
      });
      const ceilingSeconds = (Date.now() - ceilingStart) / 1000;
      // The same rows again as the job sends them: unlogged batches of CASSANDRA_BATCH_SIZE_ROWS
      // rows, CASSANDRA_CONCURRENT_WRITES batches in flight per Spark task (2 tasks).
      const batchRows = Number(throughputEnv.CASSANDRA_BATCH_SIZE_ROWS);
      const inFlight = 2 * Number(throughputEnv.CASSANDRA_CONCURRENT_WRITES);
      const batches: { query: string; params: unknown[] }[][] = [];
      for (let index = 0; index < rows.length; index += batchRows) {
        batches.push(rows.slice(index, index + batchRows).map((params) => ({ query: insert, params })));
      }
      let next = 0;
      const batchedStart = Date.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < batches.length) {
            const batch = batches[next++]!;
            await client.batch(batch, { prepare: true, logged: false });
          }
        }),
      );
      const batchedSeconds = (Date.now() - batchedStart) / 1000;
      ceiling = {
        rows: ceilingRows,
        concurrency: ceilingConcurrency,
        seconds: round(ceilingSeconds, 1),
        rows_per_second: round(ceilingRows / ceilingSeconds),
        client: "cassandra-driver 4.10.0 (Node), prepared INSERT, executeConcurrent",
        unlogged_batches: {
          rows_per_batch: batchRows,
          in_flight: inFlight,
          seconds: round(batchedSeconds, 1),
          rows_per_second: round(ceilingRows / batchedSeconds),
        },
      };
      process.stdout.write(`bench:e2e: cassandra ceiling ${JSON.stringify(ceiling)}\n`);
    }

    // 1. Sustained throughput from a backlog, JSON records (and Avro: phase `avro`).
    type Throughput = {
      rows_per_second: number;
      seconds: number;
      batches: number;
      measured_records: number;
      warmup_records: number;
      cold_start: { rows_per_second: number; batches: number } & Record<string, unknown>;
      cpu?: CpuUse;
      cassandra_in_window?: TableWork;
    } & Record<string, unknown>;
    /** `from_json`: spark/bench/stream_reference.py, the job's query with Spark's from_json as its decoder. */
    const sustainedThroughput = async (
      format: "json" | "avro",
      decoder: "job" | "from_json" = "job",
    ): Promise<Throughput> => {
      const label = decoder === "job" ? format : "reference";
      const backlogPipeline = await pipeline(`bench_backlog_${label}`);
      const total = backlog + warmupBatches * Number(throughputEnv.MAX_OFFSETS_PER_TRIGGER);
      process.stdout.write(
        `bench:e2e: producing a backlog of ${total} ${format} records (${warmupBatches} warm-up batches)\n`,
      );
      await produce(backlogPipeline.topic, total, 0, format);
      const waited = await cassandraQuiet();
      process.stdout.write(
        `bench:e2e: starting ${decoder === "job" ? "the job" : "the from_json reference"} on the ${format} backlog (Cassandra quiet after ${waited} s)\n`,
      );
      const jobStart = Date.now();
      const backlogJob = await startJob(runtime, {
        ...backlogPipeline,
        name: `bench-backlog-${label}`,
        ...(decoder === "from_json"
          ? { script: join(sparkJobDirectory, "bench", "stream_reference.py") }
          : {}),
        env: {
          ...throughputEnv,
          ...(format === "avro" ? { RECORD_FORMAT: "avro", SCHEMA_REGISTRY_URL: registryUrl() } : {}),
        },
        driverMemory,
        sparkConf,
      });
      jobs.push(backlogJob);
      // CPU use is read from the end of the warm-up batches (polled every 250 ms) to the drain.
      let warm: CpuSnapshot | undefined;
      await waitUntil(
        async () => {
          const lines = batchLines(backlogJob.log());
          if (!warm && lines.filter((line) => line.rows > 0).length >= warmupBatches) warm = cpuSnapshot();
          return lines.reduce((sum, line) => sum + line.written, 0) >= total;
        },
        30 * 60_000,
        () => `backlog not drained: ${backlogJob.log().slice(-2_000)}`,
        250,
      );
      const drained = cpuSnapshot();
      const drainedAt = Date.now();
      const batches = batchLines(backlogJob.log()).filter((line) => line.rows > 0);
      /** [first start, last end] of the batches, ms since the epoch. */
      const span = (lines: readonly BatchLine[]) =>
        [lines[0]!.end - lines[0]!.seconds * 1000, lines.at(-1)!.end] as const;
      const rate = (lines: readonly BatchLine[]) => {
        const [start, end] = span(lines);
        const seconds = (end - start) / 1000;
        const rows = lines.reduce((sum, line) => sum + line.written, 0);
        return { rows, seconds: round(seconds, 1), rows_per_second: round(rows / seconds) };
      };
      const afterWarmup = batches.slice(warmupBatches);
      const warmRows = batches.slice(0, warmupBatches).reduce((sum, line) => sum + line.rows, 0);
      if (afterWarmup.length === 0)
        throw new Error("no batch left after the warm-up; raise BENCH_E2E_BACKLOG");
      // The window: the full batches after the warm-up (a last batch of a few rows is drained, not measured).
      const { full: measured, remainder } = withoutRemainder(afterWarmup);
      const sustained = rate(measured);
      // CPU is read from the warm-up's end to the drain, remainder included: per row of every batch in it.
      const cpuRows = afterWarmup.reduce((sum, line) => sum + line.written, 0);
      await backlogJob.process.stop();
      const backlogRows = await countRows(harness.cassandra, backlogPipeline.keyspace);
      const result: Throughput = {
        ...(decoder === "from_json" ? { decoder: "from_json (spark/bench/stream_reference.py)" } : {}),
        record_format: format,
        records: total,
        warmup_records: warmRows,
        measured_records: sustained.rows,
        rows_in_cassandra: backlogRows,
        batches: measured.length,
        largest_batch: Math.max(...batches.map((line) => line.rows)),
        seconds: sustained.seconds,
        rows_per_second: sustained.rows_per_second,
        cold_start: { ...rate(batches), batches: batches.length },
        wall_seconds_including_job_start: round((drainedAt - jobStart) / 1000, 1),
        ...(remainder ? { remainder_batch_rows: remainder.rows } : {}),
        ...(warm && drained ? { cpu: cpuUse(warm, drained, cpuRows) } : {}),
        cassandra_in_window: workInWindows(cassandraEvents(), backlogPipeline.keyspace, "users", [
          span(measured),
        ]),
        job_settings: throughputEnv,
      };
      process.stdout.write(`bench:e2e: throughput (${label}) ${JSON.stringify(result)}\n`);
      return result;
    };
    // The job (A) and the streaming from_json reference (B, spark/bench/stream_reference.py) in the
    // order A B B A, as the stack bound's variants: a slow drift of the machine over the run (runs
    // here vary by +-20%) then weighs on both alike. Each figure is both passes as one.
    const jsonPasses: Throughput[] = [];
    const referencePasses: Throughput[] = [];
    // Kafka's and Cassandra's JVMs are still compiling during the first pass that streams through
    // them (the job's first pass: their JIT threads 0.0012 and 0.0006 ms per row, a later pass's
    // 0.0004 and 0), and that pass was the slowest of four in each run. Like the bound's warm-up
    // rounds, one unmeasured pass of the reference puts every measured pass on a warm stack.
    let stackWarmup: Throughput | undefined;
    if (phases.has("throughput") || phases.has("reference")) {
      stackWarmup = await sustainedThroughput("json", "from_json");
      process.stdout.write(
        `bench:e2e: stack warm-up pass done (${stackWarmup.rows_per_second} rows/s, not measured)\n`,
      );
    }
    if (phases.has("throughput")) jsonPasses.push(await sustainedThroughput("json"));
    if (phases.has("reference")) {
      referencePasses.push(await sustainedThroughput("json", "from_json"));
      referencePasses.push(await sustainedThroughput("json", "from_json"));
    }
    if (phases.has("throughput")) jsonPasses.push(await sustainedThroughput("json"));
    const throughput = jsonPasses.length > 0 ? combinedPasses(jsonPasses) : undefined;
    const reference = referencePasses.length > 0 ? combinedPasses(referencePasses) : undefined;
    const avroThroughput = phases.has("avro") ? await sustainedThroughput("avro") : undefined;

    // 2. Latency at a steady rate.
    let latency: ({ p50_ms: number; p99_ms: number } & Record<string, unknown>) | undefined;
    if (phases.has("latency")) {
      const latencyPipeline = await pipeline("bench_latency");
      const latencyJob = await startJob(runtime, {
        ...latencyPipeline,
        name: "bench-latency",
        env: latencyEnv,
        driverMemory,
        sparkConf,
      });
      jobs.push(latencyJob);
      const writtenRows = (): number =>
        batchLines(latencyJob.log()).reduce((sum, line) => sum + line.written, 0);
      // Warm-up (like a JMH warm-up): the same rate for warmupSeconds, drained, then not measured.
      // A cold driver spends its first batches in the JIT and opening connections.
      const warmupCount = rate * warmupSeconds;
      process.stdout.write(`bench:e2e: warm-up, ${warmupCount} records at ${rate}/s\n`);
      await produce(latencyPipeline.topic, warmupCount, rate);
      await waitUntil(
        async () => writtenRows() >= warmupCount,
        10 * 60_000,
        () => `warm-up rows missing: ${latencyJob.log().slice(-2_000)}`,
        1_000,
      );
      const latencyCount = rate * latencySeconds;
      process.stdout.write(`bench:e2e: ${latencyCount} records at ${rate}/s\n`);
      const producedAt = Date.now();
      const steadyStart = cpuSnapshot();
      await produce(latencyPipeline.topic, latencyCount, rate);
      await waitUntil(
        async () => writtenRows() >= warmupCount + latencyCount,
        10 * 60_000,
        () => `latency rows missing: ${latencyJob.log().slice(-2_000)}`,
        250,
      );
      const steadyEnd = cpuSnapshot();
      await latencyJob.process.stop();
      const samples: { event: number; latency: number }[] = [];
      let pageState: string | undefined;
      do {
        const result = await client.execute(
          `SELECT event_time, WRITETIME(first_name) AS written FROM ${latencyPipeline.keyspace}.users`,
          [],
          { prepare: true, fetchSize: 10_000, ...(pageState ? { pageState } : {}) },
        );
        for (const row of result.rows) {
          const event = (row.get("event_time") as Date).getTime();
          const writtenMicros = (row.get("written") as types.Long).toNumber();
          samples.push({ event, latency: writtenMicros / 1000 - event });
        }
        pageState = result.pageState ?? undefined;
      } while (pageState);
      const steady = samples
        .filter((sample) => sample.event >= producedAt)
        .map((sample) => sample.latency)
        .sort((a, b) => a - b);
      const everything = samples.map((sample) => sample.latency).sort((a, b) => a - b);
      latency = {
        rate,
        records: latencyCount,
        warmup_records: warmupCount,
        rows_in_cassandra: samples.length,
        steady_rows: steady.length,
        p50_ms: round(percentile(steady, 0.5)),
        p99_ms: round(percentile(steady, 0.99)),
        max_ms: round(steady.at(-1) ?? Number.NaN),
        including_warmup: {
          rows: everything.length,
          p50_ms: round(percentile(everything, 0.5)),
          p99_ms: round(percentile(everything, 0.99)),
        },
        ...(steadyStart && steadyEnd ? { cpu: cpuUse(steadyStart, steadyEnd, latencyCount) } : {}),
        job_settings: latencyEnv,
      };
      process.stdout.write(`bench:e2e: latency ${JSON.stringify(latency)}\n`);
    }

    // 4. The stack's bound: Kafka -> Spark -> Cassandra with no validation, and with the job's decoder.
    let bound: Record<string, StackBoundResult> | undefined;
    if (phases.has("bound")) {
      const boundPipeline = await pipeline("bench_bound");
      process.stdout.write(`bench:e2e: stack bound, producing ${backlog} records\n`);
      await produce(boundPipeline.topic, backlog, 0);
      // Measured passes in the order of boundPasses, each into a table of its own (as the
      // throughput phase's): one after the other, the second variant had a head start of 1.5-2x
      // (seen in runs where both variants were the same from_json query: 7,078 vs 14,198 and
      // 11,194 vs 16,772 rows/s).
      const passKeyspaces: string[] = [];
      for (const variant of boundPasses) {
        const keyspace = harness.uniqueName(`bench_bound_${variant}`);
        await benchTable(keyspace);
        passKeyspaces.push(keyspace);
      }
      bound = await stackBound(
        runtime,
        {
          ...boundPipeline,
          name: "bench-bound",
          env: throughputEnv,
          driverMemory,
          sparkConf,
        },
        passKeyspaces,
        // As many rows as the throughput phase's warm-up batches write before its window.
        warmupBatches * Number(throughputEnv.MAX_OFFSETS_PER_TRIGGER),
      );
      // Each variant's passes' windows, each in its own table (boundPasses' order), read in
      // Cassandra's log; the windows themselves stay out of e2e.json.
      const events = cassandraEvents();
      bound = Object.fromEntries(
        Object.entries(bound).map(([variant, { windows, ...figures }]) => {
          const tables = passKeyspaces.filter((_, index) => boundPasses[index] === variant);
          const work = (windows ?? []).map(([start, end], index) =>
            workInWindows(events, tables[index]!, "users", [[start * 1000, end * 1000]]),
          );
          return [variant, windows ? { ...figures, cassandra_in_window: addedWork(work) } : figures];
        }),
      );
      process.stdout.write(`bench:e2e: stack bound ${JSON.stringify(bound)}\n`);
    }

    // How much of the Spark JVM's CPU in each measured window went to its JIT compiler threads: a
    // large share means the window priced the JVM's warm-up, not its steady state.
    const jitShares: Record<string, number> = {};
    const jitShare = (
      label: string,
      perRow?: Readonly<Record<string, number>>,
      jit?: Readonly<Record<string, number>>,
    ) => {
      const spark = perRow?.spark_jvm;
      if (spark && jit) jitShares[label] = round((jit.spark_jvm ?? 0) / spark, 2);
    };
    jitShare("job", throughput?.cpu?.cpu_ms_per_row, throughput?.cpu?.jit_cpu_ms_per_row);
    jitShare("streaming_reference", reference?.cpu?.cpu_ms_per_row, reference?.cpu?.jit_cpu_ms_per_row);
    jitShare("avro", avroThroughput?.cpu?.cpu_ms_per_row, avroThroughput?.cpu?.jit_cpu_ms_per_row);
    jitShare("stack_bound_from_json", bound?.from_json?.cpu_ms_per_row, bound?.from_json?.jit_cpu_ms_per_row);
    jitShare(
      "stack_bound_from_json_loaded",
      bound?.from_json_loaded?.cpu_ms_per_row,
      bound?.from_json_loaded?.jit_cpu_ms_per_row,
    );
    const stillCompiling = Object.entries(jitShares).filter(([, share]) => share > jitShareWarning);
    if (stillCompiling.length > 0) {
      process.stdout.write(
        `bench:e2e: warning: the Spark JVM was still compiling in ${stillCompiling.map(([label, share]) => `${label} (JIT ${Math.round(share * 100)}% of its CPU)`).join(", ")}; raise BENCH_E2E_WARMUP_BATCHES\n`,
      );
    }
    // Compaction is held on every table the bench writes (header: "Compaction"); a compaction of a
    // measured table in its window means it was not, and that window's figures are not comparable.
    const windows: [string, TableWork | undefined][] = [
      ["job", throughput?.cassandra_in_window],
      ["streaming_reference", reference?.cassandra_in_window],
      ["avro", avroThroughput?.cassandra_in_window],
      ...Object.entries(bound ?? {}).map(([variant, figures]): [string, TableWork | undefined] => [
        `stack_bound_${variant}`,
        figures.cassandra_in_window,
      ]),
    ];
    const compacted = windows.filter(([, work]) => (work?.compactions ?? 0) > 0).map(([label]) => label);
    if (compacted.length > 0) {
      process.stdout.write(
        `bench:e2e: warning: Cassandra compacted the measured table in the window of ${compacted.join(", ")}\n`,
      );
    }

    if (!throughput || !reference || !latency || !ceiling || !bound) {
      process.stdout.write(
        `bench:e2e: partial run (${[...phases].join(", ")}): ${resultsPath} left as it is\n`,
      );
      return;
    }
    const result = {
      benchmark: "e2e",
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        memory_gib: round(totalmem() / 2 ** 30, 1),
        load_at_start: loadAtStart,
      },
      setup:
        "harness Kafka 3.9.1 (KRaft) + Cassandra 5.0 as local processes; job spark/main.py via spark-submit " +
        `local[2] (pyspark 3.5.7), ${partitions} topic partitions, JSON (and Avro, Apicurio registry) records from the producer CLI; ` +
        "automatic compaction off on every table the bench writes",
      // The unmeasured pass that warms Kafka and Cassandra up before the measured ones (see above).
      stack_warmup_pass: stackWarmup && {
        rows_per_second: stackWarmup.rows_per_second,
        cpu_ms_per_row_total: stackWarmup.cpu?.cpu_ms_per_row_total,
        jit_cpu_ms_per_row: stackWarmup.cpu?.jit_cpu_ms_per_row,
      },
      throughput,
      streaming_reference: reference,
      ratio_to_streaming_reference: round(throughput.rows_per_second / reference.rows_per_second, 2),
      latency,
      cassandra_ceiling: ceiling,
      stack_bound: bound,
      ratio_to_stack_bound: round(throughput.rows_per_second / bound.from_json!.rows_per_second, 2),
      // The same bound into a table in the state the job's window finds its own in (see the header).
      ratio_to_loaded_stack_bound: round(
        throughput.rows_per_second / bound.from_json_loaded!.rows_per_second,
        2,
      ),
      // The JIT compiler threads' share of the Spark JVM's CPU in each measured window (see the
      // header: equal warm-up for the streaming phases and the bound).
      jit_share_of_spark_jvm: jitShares,
      ratio_to_ceiling: round(throughput.rows_per_second / ceiling.rows_per_second, 2),
      ratio_to_batched_ceiling: round(
        throughput.rows_per_second / ceiling.unlogged_batches.rows_per_second,
        2,
      ),
      ...(avroThroughput
        ? {
            avro_throughput: avroThroughput,
            avro_ratio_to_stack_bound: round(
              avroThroughput.rows_per_second / bound.from_json!.rows_per_second,
              2,
            ),
            avro_ratio_to_streaming_reference: round(
              avroThroughput.rows_per_second / reference.rows_per_second,
              2,
            ),
          }
        : {}),
      // Issue 14's targets: the job within 0.9 of the from_json bound of the same run, at most
      // 0.15 ms of CPU per row (every process of the stack), p99 at 1,000 records/s within 2 s.
      // The ratio both to the batch bound and to the streaming from_json reference (the same shape
      // of work as the job's; spark/README.md "Performance" says why both). The reference's own CPU
      // per row beside the job's: the floor of a streaming query on this stack.
      // Issue 5's 20,000 rows/s stays reported (out of reach with the whole stack on 2 cores).
      targets: {
        ratio_to_streaming_reference: {
          target: 0.9,
          value: round(throughput.rows_per_second / reference.rows_per_second, 2),
          met: throughput.rows_per_second >= 0.9 * reference.rows_per_second,
        },
        ratio_to_stack_bound: {
          target: 0.9,
          value: round(throughput.rows_per_second / bound.from_json!.rows_per_second, 2),
          met: throughput.rows_per_second >= 0.9 * bound.from_json!.rows_per_second,
        },
        // Not issue 14's figure (that is ratio_to_stack_bound): beside it, the same target against the
        // bound measured into a table with the job's window's state (spark/README.md "Performance").
        ratio_to_loaded_stack_bound: {
          target: 0.9,
          value: round(throughput.rows_per_second / bound.from_json_loaded!.rows_per_second, 2),
          met: throughput.rows_per_second >= 0.9 * bound.from_json_loaded!.rows_per_second,
        },
        cpu_ms_per_row: {
          target: 0.15,
          value: throughput.cpu?.cpu_ms_per_row_total,
          streaming_reference: reference.cpu?.cpu_ms_per_row_total,
          met: (throughput.cpu?.cpu_ms_per_row_total ?? Infinity) <= 0.15,
        },
        p99_ms: { target: 2_000, value: latency.p99_ms, met: latency.p99_ms <= 2_000 },
        rows_per_second: {
          target: 20_000,
          value: throughput.rows_per_second,
          met: throughput.rows_per_second >= 20_000,
        },
      },
    };
    const windowWork = (phase?: { cassandra_in_window?: TableWork }) =>
      phase?.cassandra_in_window
        ? `${phase.cassandra_in_window.flushes} / ${phase.cassandra_in_window.compactions} (${phase.cassandra_in_window.compaction_seconds} s)`
        : "?";
    mkdirSync(join(__dirname, "results"), { recursive: true });
    writeFileSync(resultsPath, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      [
        `bench:e2e: Kafka -> Cassandra ${throughput.rows_per_second} rows/s sustained (${throughput.measured_records} rows in ${throughput.batches} batches after a ${throughput.warmup_records}-row warm-up; ${throughput.cold_start.rows_per_second} rows/s over all batches from a cold start)`,
        ...(avroThroughput
          ? [
              `bench:e2e: Avro ${avroThroughput.rows_per_second} rows/s sustained, ${avroThroughput.cpu?.cpu_ms_per_row_total ?? "?"} CPU ms/row; ratio to the from_json bound ${result.avro_ratio_to_stack_bound}`,
            ]
          : []),
        `bench:e2e: streaming from_json reference ${reference.rows_per_second} rows/s, ${reference.cpu?.cpu_ms_per_row_total ?? "?"} CPU ms/row; ratio ${result.ratio_to_streaming_reference} (target 0.9: ${result.targets.ratio_to_streaming_reference.met ? "met" : "not met"})`,
        `bench:e2e: JSON ${throughput.cpu?.cpu_ms_per_row_total ?? "?"} CPU ms/row (target 0.15: ${result.targets.cpu_ms_per_row.met ? "met" : "not met"}); ratio to the from_json bound ${result.ratio_to_stack_bound} (target 0.9: ${result.targets.ratio_to_stack_bound.met ? "met" : "not met"})`,
        `bench:e2e: latency at ${rate}/s: p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms`,
        `bench:e2e: Cassandra ceiling ${ceiling.rows_per_second} rows/s (single inserts), ${ceiling.unlogged_batches.rows_per_second} rows/s (unlogged batches); ratio ${result.ratio_to_ceiling} / ${result.ratio_to_batched_ceiling}`,
        `bench:e2e: stack bound (one batch query, same connector settings): from_json without validation ${bound.from_json!.rows_per_second} rows/s, the job's decoder ${bound.job_decoder!.rows_per_second} rows/s; ratio ${result.ratio_to_stack_bound}`,
        `bench:e2e: stack bound into a table that has just taken the warm-up's rows: from_json ${bound.from_json_loaded!.rows_per_second} rows/s; ratio ${result.ratio_to_loaded_stack_bound} (target 0.9: ${result.targets.ratio_to_loaded_stack_bound.met ? "met" : "not met"})`,
        `bench:e2e: Cassandra in the measured windows, flushes / compactions (their seconds inside): job ${windowWork(throughput)}, reference ${windowWork(reference)}, bound from_json ${windowWork(bound.from_json)}, job decoder ${windowWork(bound.job_decoder)}, loaded table ${windowWork(bound.from_json_loaded)}`,
        `bench:e2e: wrote ${resultsPath}`,
        "",
      ].join("\n"),
    );
  } finally {
    for (const job of jobs) if (job.alive()) await job.process.stop(5_000);
    await client.shutdown().catch(() => undefined);
    await harness.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:e2e: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
