"""spark/bench/stack_bound.py: process kinds and the per-process CPU accounting of bench:e2e's bound phase."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "stack_bound.py"


@pytest.fixture(scope="module")
def stack_bound() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stack_bound", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("command_line", "kind"),
    [
        ("java -Xss256k org.apache.cassandra.service.CassandraDaemon", "cassandra"),
        ("java -cp /opt/kafka/libs/* kafka.Kafka /tmp/server.properties", "kafka"),
        ("python3 -m pyspark.daemon", "python_workers"),
        ("python3 -m pyspark.worker", "python_workers"),
        ("java -cp ... org.apache.spark.deploy.SparkSubmit --master local[2] x.py", "spark_jvm"),
        ("node bench/e2e.ts", "other"),
    ],
)
def test_process_kind(stack_bound: ModuleType, command_line: str, kind: str) -> None:
    assert stack_bound.process_kind(command_line) == kind


def _process(proc: Path, pid: int, comm: str, command_line: str, ticks: tuple[int, int, int, int]) -> None:
    directory = proc / str(pid)
    directory.mkdir()
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    # utime stime cutime cstime priority nice
    fields = ["S", "1", "1", "1", "0", "-1", "0", "5", "0", "0", "0", *map(str, ticks), "20", "0"]
    (directory / "stat").write_text(f"{pid} ({comm}) " + " ".join(fields) + "\n")
    (directory / "cmdline").write_bytes(command_line.replace(" ", "\0").encode() + b"\0")


def test_cpu_seconds_by_kind_sums_user_system_and_children(stack_bound: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "stat").write_text("1 (init) S 0\n")
    hz = os.sysconf("SC_CLK_TCK")
    _process(tmp_path, 101, "java", "java org.apache.cassandra.service.CassandraDaemon", (hz, hz, 0, 0))
    # A command name with ") " in it must not shift the fields.
    _process(tmp_path, 102, "odd) name", "java kafka.Kafka server.properties", (2 * hz, 0, hz, hz))
    _process(tmp_path, 103, "python3", "python3 -m pyspark.daemon", (hz, 0, 0, 0))
    _process(tmp_path, 104, "python3", "python3 -m pyspark.worker", (0, hz, 0, 0))
    (tmp_path / "net").mkdir()  # not a process
    assert stack_bound.cpu_seconds_by_kind(tmp_path) == {
        "cassandra": 2.0,
        "kafka": 4.0,
        "python_workers": 2.0,
    }


def test_cpu_seconds_by_kind_is_none_without_proc(stack_bound: ModuleType, tmp_path: Path) -> None:
    assert stack_bound.cpu_seconds_by_kind(tmp_path) is None


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")
def test_measure_reports_rate_and_cpu_per_row(stack_bound: ModuleType) -> None:
    def busy() -> None:
        # Wall clock, as measure() times it: the process's CPU time also counts its other threads
        # (py4j, watchdogs of earlier tests) and could reach 0.3 s in less wall time.
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            pass

    before = time.time()
    result = stack_bound.measure(busy, 1_000)
    after = time.time()
    assert result["rows"] == 1_000
    start, end = result["window"]
    assert before - 0.001 <= start and start + 0.3 <= end <= after + 0.001
    assert result["seconds"] >= 0.3
    assert 0 < result["rows_per_second"] <= 1_000 / 0.3
    # This test process is an `other` kind; 0.3 s of CPU over 1,000 rows is >= 0.3 ms per row.
    assert result["cpu_ms_per_row"]["other"] >= 0.25
    assert result["cpu_ms_per_row_total"] >= result["cpu_ms_per_row"]["other"]


def _thread(proc: Path, pid: int, tid: int, comm: str, utime: int) -> None:
    directory = proc / str(pid) / "task" / str(tid)
    directory.mkdir(parents=True)
    (directory / "comm").write_text(comm + "\n")
    fields = ["S", "1", "1", "1", "0", "-1", "0", "5", "0", "0", "0", str(utime), "0", "0", "0", "20", "0"]
    (directory / "stat").write_text(f"{tid} ({comm}) " + " ".join(fields) + "\n")


def test_jit_seconds_by_kind_counts_compiler_threads_of_jvms_only(
    stack_bound: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "stat").write_text("1 (init) S 0\n")
    hz = os.sysconf("SC_CLK_TCK")
    _process(tmp_path, 201, "java", "java org.apache.spark.deploy.SparkSubmit x.py", (9 * hz, 0, 0, 0))
    _thread(tmp_path, 201, 210, "C2 CompilerThre", 3 * hz)
    _thread(tmp_path, 201, 211, "C1 CompilerThre", hz)
    _thread(tmp_path, 201, 212, "Executor task l", 5 * hz)
    _process(tmp_path, 202, "java", "java kafka.Kafka server.properties", (hz, 0, 0, 0))
    _thread(tmp_path, 202, 220, "data-plane-kafk", hz)
    # Not a JVM kind: its threads are not read, whatever their names.
    _process(tmp_path, 203, "python3", "python3 -m pyspark.daemon", (hz, 0, 0, 0))
    _thread(tmp_path, 203, 230, "C2 CompilerThre", hz)
    assert stack_bound.jit_seconds_by_kind(tmp_path) == {"spark_jvm": 4.0, "kafka": 0.0}
    assert stack_bound.jit_seconds_by_kind(tmp_path / "missing") is None


def test_combined_passes_average_cpu_and_jit_per_row(stack_bound: ModuleType) -> None:
    passes = [
        {
            "rows": 500,
            "seconds": 1.0,
            "rows_per_second": 500,
            "cpu_ms_per_row": {"cassandra": 0.05, "spark_jvm": 0.03},
            "cpu_ms_per_row_total": 0.08,
            "jit_cpu_ms_per_row": {"spark_jvm": 0.004},
            "window": [100.0, 101.0],
        },
        {
            "rows": 500,
            "seconds": 4.0,
            "rows_per_second": 125,
            "cpu_ms_per_row": {"cassandra": 0.07},
            "cpu_ms_per_row_total": 0.07,
            "jit_cpu_ms_per_row": {"spark_jvm": 0.002, "cassandra": 0.001},
            "window": [110.0, 114.0],
        },
    ]
    assert stack_bound.combined(passes) == {
        "rows": 1000,
        "seconds": 5.0,
        "rows_per_second": 200,
        "passes": [500, 125],
        "windows": [[100.0, 101.0], [110.0, 114.0]],
        "cpu_ms_per_row": {"cassandra": 0.06, "spark_jvm": 0.015},
        "cpu_ms_per_row_total": 0.075,
        "jit_cpu_ms_per_row": {"cassandra": 0.0005, "spark_jvm": 0.003},
    }


@pytest.mark.parametrize(
    ("load_rows", "rows", "rounds"),
    [(1_500_000, 500_000, 3), (1_500_001, 500_000, 4), (1, 500_000, 1), (0, 500_000, 0), (10, 0, 0)],
)
def test_load_rounds_cover_the_load(stack_bound: ModuleType, load_rows: int, rows: int, rounds: int) -> None:
    assert stack_bound.load_rounds(load_rows, rows) == rounds


def test_measured_passes_follow_the_given_order(stack_bound: ModuleType) -> None:
    passes = stack_bound.measured_passes(
        "from_json=k1, job_decoder=k2,job_decoder=k3,from_json=k4,from_json_loaded=k5",
        ["from_json", "job_decoder", "from_json_loaded"],
        "users_ks",
    )
    assert passes == [
        ("from_json", "k1"),
        ("job_decoder", "k2"),
        ("job_decoder", "k3"),
        ("from_json", "k4"),
        ("from_json_loaded", "k5"),
    ]


def test_measured_passes_default_to_one_per_variant_in_the_jobs_keyspace(stack_bound: ModuleType) -> None:
    assert stack_bound.measured_passes(" ", ["from_json", "job_decoder"], "users_ks") == [
        ("from_json", "users_ks"),
        ("job_decoder", "users_ks"),
    ]


@pytest.mark.parametrize(
    "text",
    ["from_json_loaded=k1", "from_json=k1,job_decoder", "from_json=", "fromjson=k1"],
)
def test_measured_passes_refuse_an_unknown_variant_or_a_missing_keyspace(
    stack_bound: ModuleType, text: str
) -> None:
    with pytest.raises(ValueError, match=r"BENCH_BOUND_PASSES: .* variant among from_json, job_decoder$"):
        stack_bound.measured_passes(text, ["from_json", "job_decoder"], "users_ks")
