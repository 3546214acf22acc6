import test from "ava";
import { combinedPasses, withoutRemainder } from "../../bench/passes";
import type { ThroughputPass } from "../../bench/passes";

const pass = (
  rows: number,
  seconds: number,
  cassandra: number,
  spark: number,
  jit = 0.01,
): ThroughputPass => ({
  rows_per_second: Math.round(rows / seconds),
  seconds,
  measured_records: rows,
  batches: 5,
  cold_start: { rows_per_second: 1_000 },
  cpu: {
    cpu_ms_per_row: { cassandra, spark_jvm: spark },
    jit_cpu_ms_per_row: { spark_jvm: jit },
    cpu_ms_per_row_total: Math.round((cassandra + spark) * 1e4) / 1e4,
    machine_busy_percent: 98,
    machine_steal_percent: 1,
  },
});

test("passes as one: all rows over all seconds, CPU per row weighted by rows, each pass kept", (t) => {
  const combined = combinedPasses([pass(500_000, 50, 0.1, 0.08), pass(300_000, 50, 0.2, 0.1, 0.03)]);
  t.is(combined.measured_records, 800_000);
  t.is(combined.seconds, 100);
  t.is(combined.rows_per_second, 8_000); // not the mean of 10,000 and 6,000
  t.is(combined.batches, 10);
  t.deepEqual(combined.cpu?.cpu_ms_per_row, { cassandra: 0.1375, spark_jvm: 0.0875 });
  t.is(combined.cpu?.cpu_ms_per_row_total, 0.225);
  t.deepEqual(combined.cpu?.jit_cpu_ms_per_row, { spark_jvm: 0.0175 });
  t.deepEqual(combined.passes, [
    { rows_per_second: 10_000, cold_start_rows_per_second: 1_000, cpu_ms_per_row_total: 0.18 },
    { rows_per_second: 6_000, cold_start_rows_per_second: 1_000, cpu_ms_per_row_total: 0.3 },
  ]);
});

test("passes without CPU figures combine without any", (t) => {
  const { cpu: _cpu, ...bare } = pass(100, 1, 0, 0);
  const combined = combinedPasses([bare, bare]);
  t.false("cpu" in combined);
  t.is(combined.rows_per_second, 100);
});

test("Cassandra's flushes and compactions in the passes' windows add up, each pass keeps its own", (t) => {
  const first = {
    ...pass(500_000, 50, 0.1, 0.08),
    cassandra_in_window: { flushes: 2, compactions: 1, compacted_sstables: 4, compaction_seconds: 6 },
  };
  const second = {
    ...pass(500_000, 50, 0.1, 0.08),
    cassandra_in_window: { flushes: 2, compactions: 0, compacted_sstables: 0, compaction_seconds: 0 },
  };
  const combined = combinedPasses([first, second]);
  t.deepEqual(combined.cassandra_in_window, {
    flushes: 4,
    compactions: 1,
    compacted_sstables: 4,
    compaction_seconds: 6,
  });
  t.deepEqual(
    combined.passes.map((entry) => (entry as { cassandra_in_window?: unknown }).cassandra_in_window),
    [first.cassandra_in_window, second.cassandra_in_window],
  );
  // A pass without the figure: no sum that would undercount.
  t.false("cassandra_in_window" in combinedPasses([first, pass(500_000, 50, 0.1, 0.08)]));
});

test("a throughput window leaves out the backlog's remainder, and only that", (t) => {
  const batch = (rows: number) => ({ rows });
  t.deepEqual(withoutRemainder([batch(249_999), batch(249_999), batch(8)]), {
    full: [batch(249_999), batch(249_999)],
    remainder: batch(8),
  });
  // Full batches, a last one of half the largest or more, or a single batch: all measured.
  t.deepEqual(withoutRemainder([batch(250_000), batch(250_000)]), { full: [batch(250_000), batch(250_000)] });
  t.deepEqual(withoutRemainder([batch(250_000), batch(125_000)]), { full: [batch(250_000), batch(125_000)] });
  t.deepEqual(withoutRemainder([batch(8)]), { full: [batch(8)] });
  // Only the last batch can be the remainder.
  t.deepEqual(withoutRemainder([batch(8), batch(250_000), batch(250_000)]).remainder, undefined);
});
