/**
 * What Cassandra did to a table during bench:e2e's measured windows, read from its own log (the
 * harness' `cassandra.log`, logback pattern `%date{ISO8601}`): memtable flushes and compactions.
 * Both cost Cassandra CPU per row, and which windows hold them explains most of the difference
 * between the phases' Cassandra CPU per row (spark/README.md, Performance).
 */

/** Flushes and compactions of one table in some windows. */
export interface TableWork {
  /** Memtable flushes enqueued (`Enqueuing flush of <keyspace>.<table>`). */
  readonly flushes: number;
  /** Compactions that ran in a window (`Compacted (...) N sstables to [.../<keyspace>/<table>-...] ... in T ms`). */
  readonly compactions: number;
  /** sstables those compactions merged. */
  readonly compacted_sstables: number;
  /** Seconds of those compactions inside the windows (one compaction thread: at most one core each). */
  readonly compaction_seconds: number;
}

/** One flush or compaction in the log. */
export interface TableEvent {
  /** ms since the epoch; the log's local time is read as UTC, as the job's batch lines are. */
  readonly time: number;
  readonly keyspace: string;
  readonly table: string;
  readonly kind: "flush" | "compaction";
  /** sstables merged (compactions only). */
  readonly sstables?: number;
  /** How long it ran, ms (compactions only: the line is logged when it ends, at `time`). */
  readonly duration?: number;
}

const stamp = String.raw`(?<date>\d{4}-\d{2}-\d{2}) (?<clock>\d{2}:\d{2}:\d{2}),(?<millis>\d{3})`;
/** The two kinds of line, with named groups: the time, keyspace and table, and for compactions sstables and duration. */
const lines = [
  ["flush", new RegExp(String.raw`${stamp} \S+ - Enqueuing flush of (?<keyspace>\w+)\.(?<table>\w+),`)],
  [
    "compaction",
    new RegExp(
      String.raw`${stamp} \S+ - Compacted \([^)]*\) (?<sstables>\d+) sstables to \[[^,\]]*/(?<keyspace>\w+)/(?<table>\w+)-[0-9a-f]{32}/.* in (?<duration>[\d,]+)ms\.`,
    ),
  ],
] as const;

/** The flushes and compactions of every table in a Cassandra log, in log order. */
export function tableEvents(log: string): TableEvent[] {
  const events: TableEvent[] = [];
  for (const line of log.split("\n")) {
    for (const [kind, pattern] of lines) {
      const group = pattern.exec(line)?.groups;
      if (!group) continue;
      events.push({
        // The log's local time read as UTC, as the job's batch lines are.
        time: Date.parse(`${group.date}T${group.clock}.${group.millis}Z`),
        keyspace: group.keyspace!,
        table: group.table!,
        kind,
        ...(group.sstables ? { sstables: Number(group.sstables) } : {}),
        ...(group.duration ? { duration: Number(group.duration.replaceAll(",", "")) } : {}),
      });
      break;
    }
  }
  return events;
}

/**
 * The flushes and compactions of `<keyspace>.<table>` in `windows` ([start, end] in ms since the
 * epoch, both ends included): a flush where it was enqueued, a compaction if any part of it ran in
 * a window (it is logged when it ends, with how long it ran), with the seconds that did.
 */
export function workInWindows(
  events: readonly TableEvent[],
  keyspace: string,
  table: string,
  windows: readonly (readonly [number, number])[],
): TableWork {
  const ofTable = events.filter((event) => event.keyspace === keyspace && event.table === table);
  const overlap = (event: TableEvent): number =>
    windows.reduce(
      (sum, [start, end]) =>
        sum + Math.max(0, Math.min(end, event.time) - Math.max(start, event.time - (event.duration ?? 0))),
      0,
    );
  const inWindow = (time: number): boolean => windows.some(([start, end]) => time >= start && time <= end);
  const compactions = ofTable.filter(
    (event) => event.kind === "compaction" && (overlap(event) > 0 || inWindow(event.time)),
  );
  return {
    flushes: ofTable.filter((event) => event.kind === "flush" && inWindow(event.time)).length,
    compactions: compactions.length,
    compacted_sstables: compactions.reduce((sum, event) => sum + (event.sstables ?? 0), 0),
    compaction_seconds: Math.round(compactions.reduce((sum, event) => sum + overlap(event), 0) / 100) / 10,
  };
}

/** Several windows' work as one. */
export function addedWork(works: readonly TableWork[]): TableWork {
  return {
    flushes: works.reduce((sum, work) => sum + work.flushes, 0),
    compactions: works.reduce((sum, work) => sum + work.compactions, 0),
    compacted_sstables: works.reduce((sum, work) => sum + work.compacted_sstables, 0),
    compaction_seconds: Math.round(works.reduce((sum, work) => sum + work.compaction_seconds, 0) * 10) / 10,
  };
}
