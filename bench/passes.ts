/** Several passes of one bench:e2e phase as one figure (bench/e2e.ts runs the job and its reference A B B A). */
import { addedWork } from "./cassandra-log";
import type { TableWork } from "./cassandra-log";
import type { CpuUse } from "./proc-cpu";

const round = (value: number, digits = 0): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** One throughput figure of the same kind of phase run more than once. */
export interface ThroughputPass {
  readonly rows_per_second: number;
  readonly seconds: number;
  readonly measured_records: number;
  readonly batches: number;
  readonly cold_start: { readonly rows_per_second: number } & Record<string, unknown>;
  readonly cpu?: CpuUse;
  /** Cassandra's flushes and compactions of the pass's table in its measured window. */
  readonly cassandra_in_window?: TableWork;
}

/**
 * Passes of one phase as one figure: rows/s = all measured rows over all measured seconds, CPU per
 * row weighted by rows, Cassandra's flushes and compactions added up; the first pass's other
 * fields, each pass's own figures under `passes`.
 */
export function combinedPasses<T extends ThroughputPass>(passes: readonly T[]): T & { passes: unknown[] } {
  const rows = passes.reduce((sum, pass) => sum + pass.measured_records, 0);
  const seconds = passes.reduce((sum, pass) => sum + pass.seconds, 0);
  const weighted = (value: (cpu: CpuUse) => number) =>
    passes.reduce((sum, pass) => sum + value(pass.cpu!) * pass.measured_records, 0) / rows;
  const withCpu = passes.every((pass) => pass.cpu);
  /** A by-kind figure of every pass, weighted by rows, for every kind any pass has. */
  const weightedByKind = (of: (cpu: CpuUse) => Readonly<Record<string, number>> | undefined) =>
    Object.fromEntries(
      [...new Set(passes.flatMap((pass) => Object.keys((pass.cpu && of(pass.cpu)) ?? {})))]
        .sort()
        .map((kind) => [
          kind,
          round(
            weighted((use) => of(use)?.[kind] ?? 0),
            4,
          ),
        ]),
    );
  const cpu: CpuUse | undefined = withCpu
    ? {
        cpu_ms_per_row: weightedByKind((use) => use.cpu_ms_per_row),
        jit_cpu_ms_per_row: weightedByKind((use) => use.jit_cpu_ms_per_row),
        cpu_ms_per_row_total: round(
          weighted((use) => use.cpu_ms_per_row_total),
          4,
        ),
        machine_busy_percent: round(
          weighted((use) => use.machine_busy_percent),
          1,
        ),
        machine_steal_percent: round(
          weighted((use) => use.machine_steal_percent),
          1,
        ),
      }
    : undefined;
  // The first pass's fields but its own window work: the sum below, or none if a pass lacks it.
  const { cassandra_in_window: _firstWork, ...first } = passes[0]!;
  return {
    ...(first as T),
    measured_records: rows,
    batches: passes.reduce((sum, pass) => sum + pass.batches, 0),
    seconds: round(seconds, 1),
    rows_per_second: round(rows / seconds),
    ...(cpu ? { cpu } : {}),
    ...(passes.every((pass) => pass.cassandra_in_window)
      ? { cassandra_in_window: addedWork(passes.map((pass) => pass.cassandra_in_window!)) }
      : {}),
    passes: passes.map((pass) => ({
      rows_per_second: pass.rows_per_second,
      cold_start_rows_per_second: pass.cold_start.rows_per_second,
      ...(pass.cpu ? { cpu_ms_per_row_total: pass.cpu.cpu_ms_per_row_total } : {}),
      ...(pass.cassandra_in_window ? { cassandra_in_window: pass.cassandra_in_window } : {}),
    })),
  };
}

/**
 * A throughput window's batches without the backlog's remainder: a last batch of less than half the
 * largest one's rows. Spark's rate limit prorates MAX_OFFSETS_PER_TRIGGER over the partitions' lags
 * and rounds down (250k as 124,999 + 125,000), so a backlog of whole batches can end with one of a
 * few rows (8). A sustained stream has none; in the window its fixed cost (~0.3 s: planning, the
 * offsets and commit logs, a Spark job) would count as a whole batch's. It is drained, not measured.
 */
export function withoutRemainder<T extends { readonly rows: number }>(
  batches: readonly T[],
): { full: T[]; remainder?: T } {
  const last = batches.at(-1);
  const largest = Math.max(...batches.map((batch) => batch.rows));
  if (batches.length < 2 || !last || last.rows * 2 >= largest) return { full: [...batches] };
  return { full: batches.slice(0, -1), remainder: last };
}
