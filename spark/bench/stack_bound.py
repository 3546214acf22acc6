"""bench:e2e "stack bound" phase: how fast Kafka -> Spark -> Cassandra goes on this machine at all.

Run by bench/e2e.ts with spark-submit and the job's environment (the same connector settings,
`job_session`). It reads the whole topic in one batch query (no streaming, no checkpoint) and
writes it: two warm-up rounds over the variants into the job's table (JIT, sessions; not reported), then the
measured passes BENCH_BOUND_PASSES names, in its order, each into a table of its own (see
`measured_passes`; bench/e2e.ts sets the order and says why):

- `from_json`: Spark's own JSON parser, no validation, no dead letters: the least work any job
  built on this stack (Kafka source, Spark Cassandra Connector) can do per row;
- `job_decoder`: the job's decoder (`decode_frame`: the JVM validator, JSON + every contract rule),
  valid rows written as the job writes them, as one batch;
- `from_json_loaded` (when BENCH_BOUND_LOAD_ROWS is set): `from_json` again, into a table that has
  just taken that many other rows (the same records with fresh ids, written right before the pass,
  no quiet wait in between). The throughput phase measures the job after its warm-up batches
  wrote as many rows into its table; this one prices the same table state for the bound (bench/e2e.ts
  holds automatic compaction on every table it writes, so that state should cost nothing more).

For each it prints one `RESULT {json}` line: rows, seconds, rows/s and, from /proc (Linux), the
CPU time each process kind spent per row during the write (Cassandra, Kafka, the Spark JVM, the
Python workers). Not part of the job image (spark/Dockerfile.dockerignore).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from users_stream.config import load_config
from users_stream.contract import field_kinds, load_contract_schema
from users_stream.decode import DecoderSettings
from users_stream.job import decode_frame, job_session
from users_stream.kafka_security import kafka_client_options

PROCESS_KINDS = (
    ("CassandraDaemon", "cassandra"),
    ("kafka.Kafka", "kafka"),
    ("pyspark.daemon", "python_workers"),
    ("pyspark.worker", "python_workers"),
    ("SparkSubmit", "spark_jvm"),
)


# The JVM kinds, and HotSpot's JIT compiler threads by their Linux thread name (comm, cut to 15
# characters), as bench/proc-cpu.ts: their CPU shows whether a JVM was still compiling its hot code
# in a measured window.
JVM_KINDS = frozenset({"cassandra", "kafka", "spark_jvm"})
JIT_COMPILER_THREAD = re.compile(r"C[12] CompilerThre")


def process_kind(command_line: str) -> str:
    """The kind of a process from its command line (see PROCESS_KINDS), else `other`."""
    for marker, kind in PROCESS_KINDS:
        if marker in command_line:
            return kind
    return "other"


def _processes(proc: Path) -> Iterator[tuple[Path, str]]:
    """(directory, kind) of every process under `proc` that is still there."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        yield entry, process_kind(command_line)


def _stat_ticks(stat_file: Path) -> int:
    """utime + stime + cutime + cstime of a /proc stat file (after the `(comm)` field); 0 if gone."""
    try:
        stat = stat_file.read_text()
    except OSError:
        return 0  # the process or thread ended meanwhile
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(value) for value in fields[11:15])


def cpu_seconds_by_kind(proc: Path = Path("/proc")) -> dict[str, float] | None:
    """CPU seconds (user + system, with reaped children) of every process, summed by kind; None off Linux."""
    if not (proc / "self" / "stat").is_file():
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry, kind in _processes(proc):
        totals[kind] = totals.get(kind, 0.0) + _stat_ticks(entry / "stat") / ticks_per_second
    return totals


def _is_jit_compiler(thread: Path) -> bool:
    try:
        return JIT_COMPILER_THREAD.match((thread / "comm").read_text()) is not None
    except OSError:
        return False  # the thread ended meanwhile


def jit_seconds_by_kind(proc: Path = Path("/proc")) -> dict[str, float] | None:
    """CPU seconds of the JIT compiler threads of every JVM process, summed by kind; None off Linux."""
    if not (proc / "self" / "stat").is_file():
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry, kind in _processes(proc):
        if kind not in JVM_KINDS:
            continue
        try:
            threads = list((entry / "task").iterdir())
        except OSError:
            continue  # the process ended meanwhile
        ticks = sum(_stat_ticks(thread / "stat") for thread in threads if _is_jit_compiler(thread))
        totals[kind] = totals.get(kind, 0.0) + ticks / ticks_per_second
    return totals


def cassandra_quiet(max_seconds: float = 90.0, busy_fraction: float = 0.1) -> float:
    """Waits until Cassandra used < `busy_fraction` of a core for 3 one-second samples in a row.

    The flushes and compactions an earlier pass's writes leave behind would otherwise be billed to
    the next pass (as bench/proc-cpu.ts's cassandraQuiet between phases). Returns the seconds waited.
    """
    started = time.monotonic()
    totals = cpu_seconds_by_kind()
    if totals is None or "cassandra" not in totals:
        return 0.0
    previous = totals["cassandra"]
    quiet = 0
    while quiet < 3 and time.monotonic() - started < max_seconds:
        time.sleep(1.0)
        now = (cpu_seconds_by_kind() or {}).get("cassandra", previous)
        quiet = quiet + 1 if now - previous < busy_fraction else 0
        previous = now
    return round(time.monotonic() - started, 1)


def measure(write: Callable[[], None], rows: int) -> dict[str, Any]:
    """Runs `write` once, returns its rate, the CPU per row of each process kind and its window.

    `window`: [start, end] in seconds since the epoch (bench/e2e.ts reads Cassandra's log for it).
    """
    before, jit_before = cpu_seconds_by_kind(), jit_seconds_by_kind()
    started, started_at = time.monotonic(), time.time()
    write()
    seconds = time.monotonic() - started
    ended_at = time.time()
    after, jit_after = cpu_seconds_by_kind(), jit_seconds_by_kind()
    result: dict[str, Any] = {
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "window": [round(started_at, 3), round(ended_at, 3)],
    }
    if before is not None and after is not None:
        spent = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
        result["cpu_ms_per_row"] = {
            kind: round(1000 * value / rows, 4) for kind, value in sorted(spent.items()) if value > 0
        }
        result["cpu_ms_per_row_total"] = round(1000 * sum(spent.values()) / rows, 4)
    if jit_before is not None and jit_after is not None:
        jit = {kind: jit_after[kind] - jit_before.get(kind, 0.0) for kind in jit_after}
        result["jit_cpu_ms_per_row"] = {
            kind: round(1000 * value / rows, 4) for kind, value in sorted(jit.items()) if value > 0
        }
    return result


def load_rounds(load_rows: int, rows: int) -> int:
    """Writes of the whole topic (with fresh ids) that put at least `load_rows` rows into a table."""
    if load_rows <= 0 or rows <= 0:
        return 0
    return -(-load_rows // rows)


def measured_passes(text: str, variants: Iterable[str], default_keyspace: str) -> list[tuple[str, str]]:
    """The measured passes, (variant, keyspace), from BENCH_BOUND_PASSES (`variant=keyspace,...`).

    Unset or empty: one pass per variant into the job's keyspace, for a run by hand. A name that is
    not a variant, or an entry without a keyspace, is refused with the entry and the variants allowed.
    """
    known = list(variants)
    if not text.strip():
        return [(name, default_keyspace) for name in known]
    passes = []
    for entry in text.split(","):
        name, _, keyspace = entry.strip().partition("=")
        if name not in known or not keyspace:
            raise ValueError(
                f"BENCH_BOUND_PASSES: {entry.strip()!r} is not variant=keyspace with a variant among "
                f"{', '.join(known)}"
            )
        passes.append((name, keyspace))
    return passes


def combined(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One variant's measured passes as one: total rows over total seconds, mean CPU per row.

    `windows`: each pass's window, in the order of the passes.
    """
    rows = sum(result["rows"] for result in results)
    seconds = sum(result["seconds"] for result in results)
    out: dict[str, Any] = {
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "passes": [result["rows_per_second"] for result in results],
    }
    if all("window" in result for result in results):
        out["windows"] = [result["window"] for result in results]
    cpu = [result["cpu_ms_per_row"] for result in results if "cpu_ms_per_row" in result]
    if len(cpu) == len(results):
        kinds = sorted({kind for entry in cpu for kind in entry})
        out["cpu_ms_per_row"] = {
            kind: round(sum(entry.get(kind, 0.0) for entry in cpu) / len(cpu), 4) for kind in kinds
        }
        out["cpu_ms_per_row_total"] = round(
            sum(result["cpu_ms_per_row_total"] for result in results) / len(results), 4
        )
    jit = [result["jit_cpu_ms_per_row"] for result in results if "jit_cpu_ms_per_row" in result]
    if jit and len(jit) == len(results):
        jit_kinds = sorted({kind for entry in jit for kind in entry})
        out["jit_cpu_ms_per_row"] = {
            kind: round(sum(entry.get(kind, 0.0) for entry in jit) / len(jit), 4) for kind in jit_kinds
        }
    return out


def main() -> int:
    config = load_config()
    spark = job_session(config, "bench-stack-bound")

    contract = load_contract_schema()
    names = [entry["name"] for entry in contract["fields"]]
    settings = DecoderSettings(
        record_format="json",
        kinds=tuple(field_kinds(contract).items()),
        max_record_bytes=config.max_record_bytes,
    )
    kafka = (
        spark.read.format("kafka")
        .options(**kafka_client_options(config.kafka_bootstrap_servers, config.kafka_login))
        .option("groupIdPrefix", config.kafka_group_id_prefix)
        .option("subscribe", config.topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load()
    )
    rows = kafka.count()
    variants: dict[str, DataFrame] = {
        "from_json": kafka.select(
            F.from_json(F.col("value").cast("string"), StructType.fromJson(contract)).alias("user")
        ).select("user.*"),
        "job_decoder": decode_frame(kafka, settings, contract)
        .where(F.col("dlq_reason").isNull())
        .select(*names),
    }
    # The load of `from_json_loaded`: the topic's records with fresh random ids, so they are other
    # rows (as the job's warm-up batches are), not overwrites of the measured ones.
    rounds = load_rounds(int(os.environ.get("BENCH_BOUND_LOAD_ROWS") or 0), rows)
    load = variants["from_json"].withColumn("id", F.expr("uuid()"))
    measured = {**variants, **({"from_json_loaded": variants["from_json"]} if rounds > 0 else {})}
    # Each pass into a table of its own (bench/e2e.ts creates them, empty): a pass's rows then
    # never overwrite an earlier pass's.
    passes_wanted = measured_passes(
        os.environ.get("BENCH_BOUND_PASSES", ""), measured, config.cassandra.keyspace
    )

    def writer(frame: DataFrame, keyspace: str) -> Callable[[], None]:
        def write() -> None:
            (
                frame.write.format("org.apache.spark.sql.cassandra")
                .mode("append")
                .option("keyspace", keyspace)
                .option("table", config.cassandra.table)
                .save()
            )

        return write

    # Two warm-up rounds (JIT, sessions): after one, the first measured pass was still ~20% slower.
    for _ in range(2):
        for frame in variants.values():
            writer(frame, config.cassandra.keyspace)()
    passes: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in passes_wanted}
    for name, keyspace in passes_wanted:
        cassandra_quiet()
        if name == "from_json_loaded":
            for _ in range(rounds):
                writer(load, keyspace)()
        passes[name].append(measure(writer(measured[name], keyspace), rows))
    for name, results in passes.items():
        print("RESULT " + json.dumps({"variant": name, **combined(results)}), flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
