import test from "ava";
import { addedWork, tableEvents, workInWindows } from "../../bench/cassandra-log";

const data = "/work/.cache/harness/test-1/cassandra/data/data";
const log = [
  "INFO  [main] 2026-12-04 20:30:57,522 ColumnFamilyStore - Enqueuing flush of system.local, Reason: INTERNALLY_FORCED, Usage: 1.827KiB (0%) on-heap, 0B (0%) off-heap",
  "INFO  [SlabPoolCleaner] 2026-12-04 20:33:37,172 ColumnFamilyStore - Enqueuing flush of bench_a.users, Reason: MEMTABLE_LIMIT, Usage: 511.901MiB (50%) on-heap, 0B (0%) off-heap",
  `INFO  [PerDiskMemtableFlushWriter_0:1] 2026-12-04 20:33:41,768 Flushing - Completed flushing ${data}/bench_a/users-cc3d1c20f02111f1be0c8bd27ba7911f/nb-1-big-Data.db (68.638MiB) for commitlog position`,
  "INFO  [SlabPoolCleaner] 2026-12-04 20:33:51,575 ColumnFamilyStore - Enqueuing flush of bench_b.users, Reason: MEMTABLE_LIMIT, Usage: 511.900MiB (50%) on-heap, 0B (0%) off-heap",
  `INFO  [CompactionExecutor:2] 2026-12-04 20:34:36,774 CompactionTask - Compacted (1367f390-f022-11f1-be0c-8bd27ba7911f) 4 sstables to [${data}/bench_a/users-cc3d1c20f02111f1be0c8bd27ba7911f/nb-5-big,] to level=0.  274MiB to 274MiB (~100% of original) in 8,123ms.`,
  `INFO  [CompactionExecutor:1] 2026-12-04 20:34:40,000 CompactionTask - Compacted (9eb82010-f021-11f1-be0c-8bd27ba7911f) 7 sstables to [${data}/system/local-7ad54392bcdd35a684174e047860b377/nb-8-big,] to level=0.  532B to 364B (~68% of original) in 605ms.`,
  "INFO  [SlabPoolCleaner] 2026-12-04 20:35:00,000 ColumnFamilyStore - Enqueuing flush of bench_a.users, Reason: MEMTABLE_LIMIT, Usage: 512.000MiB (50%) on-heap, 0B (0%) off-heap",
  "",
].join("\n");
const at = (clock: string): number => Date.parse(`2026-12-04T${clock}Z`);

test("flushes and compactions of every table, with UTC times and the sstables merged", (t) => {
  const events = tableEvents(log);
  t.deepEqual(
    events.map((event) => [event.keyspace, event.table, event.kind, event.sstables]),
    [
      ["system", "local", "flush", undefined],
      ["bench_a", "users", "flush", undefined],
      ["bench_b", "users", "flush", undefined],
      ["bench_a", "users", "compaction", 4],
      ["system", "local", "compaction", 7],
      ["bench_a", "users", "flush", undefined],
    ],
  );
  t.is(events[1]!.time, at("20:33:37.172"));
});

test("only the table's events inside a window count, both ends included", (t) => {
  const events = tableEvents(log);
  t.is(events[3]!.duration, 8_123);
  // The compaction ran 20:34:28.651-20:34:36.774, all of it inside.
  t.deepEqual(workInWindows(events, "bench_a", "users", [[at("20:33:37.172"), at("20:34:36.774")]]), {
    flushes: 1,
    compactions: 1,
    compacted_sstables: 4,
    compaction_seconds: 8.1,
  });
  // Two windows, the second holding only the last flush; bench_b's flush and system's compaction never count.
  t.deepEqual(
    workInWindows(events, "bench_a", "users", [
      [at("20:33:38"), at("20:34:00")],
      [at("20:34:50"), at("20:35:10")],
    ]),
    { flushes: 1, compactions: 0, compacted_sstables: 0, compaction_seconds: 0 },
  );
  t.deepEqual(workInWindows(events, "bench_a", "users", []), {
    flushes: 0,
    compactions: 0,
    compacted_sstables: 0,
    compaction_seconds: 0,
  });
});

test("a compaction that ended after the window counts with the seconds it ran inside", (t) => {
  t.deepEqual(workInWindows(tableEvents(log), "bench_a", "users", [[at("20:33:00"), at("20:34:30")]]), {
    flushes: 1,
    compactions: 1,
    compacted_sstables: 4,
    compaction_seconds: 1.3, // 20:34:28.651-20:34:30
  });
});

test("work of several windows adds up", (t) => {
  t.deepEqual(
    addedWork([
      { flushes: 2, compactions: 1, compacted_sstables: 4, compaction_seconds: 7.25 },
      { flushes: 3, compactions: 1, compacted_sstables: 4, compaction_seconds: 1.1 },
    ]),
    { flushes: 5, compactions: 2, compacted_sstables: 8, compaction_seconds: 8.4 },
  );
});
