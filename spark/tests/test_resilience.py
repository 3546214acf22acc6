"""Bounded batch writes: failure summaries, the CQL probe, the attempt watchdog, BatchWriter retries."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import settings_for

from users_stream import job
from users_stream.config import load_config
from users_stream.job import SESSION_GENERATION_KEY, BatchWriter
from users_stream.resilience import (
    CQL_OPTIONS_REQUEST,
    KAFKA_API_VERSIONS_REQUEST,
    AttemptWatchdog,
    cql_answers,
    failure_summary,
    host_ports,
    is_cql_supported_response,
    kafka_answers,
    registry_answers,
)

SUPPORTED_HEADER = bytes([0x84, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x02])


# --- CQL probe ---------------------------------------------------------------------------------


def test_supported_header() -> None:
    assert is_cql_supported_response(SUPPORTED_HEADER)
    assert is_cql_supported_response(bytes([0x85]) + SUPPORTED_HEADER[1:])  # v5 answers too
    assert not is_cql_supported_response(SUPPORTED_HEADER[:8])
    assert not is_cql_supported_response(bytes([0x04]) + SUPPORTED_HEADER[1:])  # a request
    assert not is_cql_supported_response(SUPPORTED_HEADER[:4] + b"\x00" + SUPPORTED_HEADER[5:])  # ERROR
    assert not is_cql_supported_response(SUPPORTED_HEADER[:2] + b"\x00\x07" + SUPPORTED_HEADER[4:])


@pytest.fixture
def cql_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """Starts a one-connection TCP server on loopback whose handler gets the accepted socket."""
    servers: list[socket.socket] = []

    def start(handler: Callable[[socket.socket], None]) -> int:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        servers.append(server)

        def serve() -> None:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                handler(connection)

        threading.Thread(target=serve, daemon=True).start()
        port: int = server.getsockname()[1]
        return port

    yield start
    for server in servers:
        server.close()


def test_cql_answers_when_the_node_replies_supported(cql_server: Any) -> None:
    received: list[bytes] = []

    def reply(connection: socket.socket) -> None:
        received.append(connection.recv(9))
        connection.sendall(SUPPORTED_HEADER[:5])  # split across two segments
        time.sleep(0.05)
        connection.sendall(SUPPORTED_HEADER[5:] + b"\x00\x00")

    assert cql_answers("127.0.0.1", cql_server(reply), timeout=2)
    assert received == [CQL_OPTIONS_REQUEST]


def test_cql_probe_fails_on_accept_then_close(cql_server: Any) -> None:
    # What a Cassandra that is shutting down did: TCP accepted, request never served.
    assert not cql_answers("127.0.0.1", cql_server(lambda connection: None), timeout=2)


def test_cql_probe_fails_on_error_reply_silence_and_no_listener(cql_server: Any) -> None:
    error = SUPPORTED_HEADER[:4] + b"\x00" + SUPPORTED_HEADER[5:]
    assert not cql_answers("127.0.0.1", cql_server(lambda connection: connection.sendall(error)), timeout=2)
    started = time.monotonic()
    assert not cql_answers("127.0.0.1", cql_server(lambda connection: time.sleep(2)), timeout=0.3)
    assert time.monotonic() - started < 1.5
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    assert not cql_answers("127.0.0.1", port, timeout=1)


# --- failure summaries ---------------------------------------------------------------------------


class FakeThrowable:
    """Enough of a Py4J JavaObject Throwable for failure_summary."""

    def __init__(self, text: str, cause: FakeThrowable | None = None) -> None:
        self.text = text
        self.cause = cause

    def getCause(self) -> FakeThrowable | None:
        return self.cause

    def equals(self, other: object) -> bool:
        return other is self

    def toString(self) -> str:
        return self.text


class FakePy4JError(Exception):
    def __init__(self, text: str, java_exception: Any) -> None:
        super().__init__(text)
        self.java_exception = java_exception


PY4J_TEXT = (
    "An error occurred while calling o159.save.\n"
    ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 5.0 failed\n"
    "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)\n"
    "Caused by: java.io.IOException: Failed to write statements to ks.users. The\n"
    "\tat com.datastax.spark.connector.writer.AsyncStatementWriter.close(TableWriter.scala:282)\n"
)


def test_summary_of_a_py4j_error_is_the_java_root_cause() -> None:
    root = FakeThrowable(
        "java.io.IOException: Failed to write statements to ks.users. The\n"
        "latest exception was\n  All 1 node(s) tried for the query failed\n\nPlease check the executor logs"
    )
    top = FakeThrowable("org.apache.spark.SparkException: Job aborted due to stage failure", root)
    summary = failure_summary(FakePy4JError(PY4J_TEXT, top))
    assert summary == (
        "java.io.IOException: Failed to write statements to ks.users. The latest exception was "
        "All 1 node(s) tried for the query failed Please check the executor logs"
    )


def test_summary_without_a_cause_chain_is_the_java_exception_itself() -> None:
    error = FakePy4JError(
        "An error occurred while calling o100.save.\n: java.lang.IllegalStateException: Cluster is closed",
        FakeThrowable("java.lang.IllegalStateException: Cluster is closed"),
    )
    assert failure_summary(error) == "java.lang.IllegalStateException: Cluster is closed"


class GatewayGone:
    def getCause(self) -> None:
        raise ConnectionError("gateway closed")


def test_summary_falls_back_to_the_text_when_the_jvm_cannot_be_asked() -> None:
    assert (
        failure_summary(FakePy4JError(PY4J_TEXT, GatewayGone()))
        == "java.io.IOException: Failed to write statements to ks.users. The"
    )
    no_caused_by = "An error occurred while calling o7.get.\n: java.util.concurrent.TimeoutException\n\tat x"
    assert failure_summary(FakePy4JError(no_caused_by, None)) == "java.util.concurrent.TimeoutException"


def test_summary_of_other_errors_is_their_first_line_within_the_limit() -> None:
    assert failure_summary(ConnectionError("Cassandra ('c0',) does not answer CQL\nmore")) == (
        "Cassandra ('c0',) does not answer CQL"
    )
    assert failure_summary(TimeoutError()) == "TimeoutError"
    long = failure_summary(RuntimeError("x" * 1000), limit=50)
    assert len(long) == 50 and long.endswith("...")


# --- the watchdog --------------------------------------------------------------------------------


def test_watchdog_disarmed_in_time_does_nothing() -> None:
    calls: list[str] = []
    with AttemptWatchdog(0.5, 0.5, lambda: calls.append("timeout"), lambda: calls.append("stuck")) as dog:
        time.sleep(0.05)
    time.sleep(1.2)
    assert calls == []
    assert not dog.fired


def test_watchdog_times_out_then_escalates_when_still_stuck() -> None:
    calls: list[tuple[str, float]] = []
    started = time.monotonic()
    with AttemptWatchdog(
        0.2,
        0.3,
        lambda: calls.append(("timeout", time.monotonic() - started)),
        lambda: calls.append(("stuck", time.monotonic() - started)),
    ) as dog:
        time.sleep(0.9)
    assert [name for name, _ in calls] == ["timeout", "stuck"]
    assert 0.2 <= calls[0][1] < 0.5 and 0.5 <= calls[1][1] < 0.85
    assert dog.fired


def test_watchdog_does_not_escalate_when_the_attempt_returns_after_the_timeout() -> None:
    calls: list[str] = []
    with AttemptWatchdog(0.1, 0.5, lambda: calls.append("timeout"), lambda: calls.append("stuck")):
        time.sleep(0.3)
    time.sleep(0.6)
    assert calls == ["timeout"]


def test_watchdog_survives_a_failing_callback(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("py4j gone")

    with (
        caplog.at_level(logging.ERROR, logger="users_stream"),
        AttemptWatchdog(0.05, 0.05, broken, lambda: calls.append("stuck")),
    ):
        time.sleep(0.4)
    assert calls == ["stuck"]
    assert "watchdog callback failed" in caplog.text


def test_watchdog_cancels_a_hung_spark_job_by_tag(spark: Any) -> None:
    """The mechanism BatchWriter relies on: tagged jobs, cancelled with their tasks interrupted."""
    context = spark.sparkContext
    tag = "test-hung-attempt"
    context.setInterruptOnCancel(True)
    context.addJobTag(tag)
    started = time.monotonic()
    try:
        with (
            AttemptWatchdog(3, 60, lambda: context.cancelJobsWithTag(tag), lambda: None) as dog,
            pytest.raises(Exception) as raised,
        ):
            context.parallelize([1], 1).map(lambda _: time.sleep(600)).count()
    finally:
        context.removeJobTag(tag)
    assert dog.fired
    assert time.monotonic() - started < 60
    assert "cancel" in failure_summary(raised.value).lower()
    assert context.parallelize([1, 2], 1).count() == 2  # the context is still usable


def test_job_tags_set_inside_foreach_batch_reach_its_jobs(spark: Any, tmp_path: Any) -> None:
    """The same inside a streaming query's foreachBatch (a Py4J callback thread), as in the job."""
    outcome: dict[str, str] = {}

    def handle(frame: Any, batch_id: int) -> None:
        if outcome or frame.count() == 0:
            return
        context = frame.sparkSession.sparkContext
        tag = f"test-foreach-batch-{batch_id}"
        context.setInterruptOnCancel(True)
        context.addJobTag(tag)
        try:
            with AttemptWatchdog(3, 60, lambda: context.cancelJobsWithTag(tag), lambda: None):
                frame.rdd.map(lambda _: time.sleep(600)).count()
            outcome["result"] = "finished"
        except Exception as error:  # noqa: BLE001 - whatever ends the job is the outcome under test
            outcome["result"] = failure_summary(error)
        finally:
            context.removeJobTag(tag)

    query = (
        spark.readStream.format("rate")
        .option("rowsPerSecond", 1)
        .load()
        .writeStream.foreachBatch(handle)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(processingTime="1 second")
        .start()
    )
    try:
        deadline = time.monotonic() + 90
        while not outcome and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        query.stop()
    assert "cancelled job tag test-foreach-batch-" in outcome.get("result", "")


# --- BatchWriter retries and session renewal (Spark and the JVM faked) ----------------------------


class FakeSparkConf:
    def get(self, key: str, default: str) -> str:
        return "60000" if key == SESSION_GENERATION_KEY else default


class FakeContext:
    def __init__(self) -> None:
        self.tags: list[str] = []
        self.cancelled: list[str] = []
        self.cancelled_event = threading.Event()
        self._jvm = object()

    def getConf(self) -> FakeSparkConf:
        return FakeSparkConf()

    def setInterruptOnCancel(self, value: bool) -> None:
        assert value

    def addJobTag(self, tag: str) -> None:
        self.tags.append(tag)

    def removeJobTag(self, tag: str) -> None:
        self.tags.remove(tag)

    def cancelJobsWithTag(self, tag: str) -> None:
        self.cancelled.append(tag)
        self.cancelled_event.set()


class FakeConf:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


class FakeSession:
    def __init__(self) -> None:
        self.sparkContext = FakeContext()
        self.conf = FakeConf()


class FakeFrame:
    def __init__(self) -> None:
        self.sparkSession = FakeSession()


def writer_for(kinds: dict[str, str], contract: dict[str, Any], **overrides: Any) -> BatchWriter:
    base = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
        "CHECKPOINT_DIR": "/tmp/checkpoint",
        "CASSANDRA_HOSTS": "cassandra-0",
    }
    # Overrides such as a 0.3 s attempt timeout go past the environment's bounds, on purpose.
    config = replace(load_config(base), **overrides)
    writer = BatchWriter(config, contract, settings_for(kinds))
    writer.cassandra_reachable = lambda: True  # type: ignore[method-assign]
    # Failures here count as an outage (retried) unless a test says the services answer.
    writer.services_answer = lambda: False  # type: ignore[method-assign]
    return writer


@pytest.fixture
def closed_sessions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []

    def close(jvm: object, timeout_seconds: int = 20) -> int:
        calls.append(jvm)
        return 1

    monkeypatch.setattr(job, "close_connector_sessions", close)
    return calls


def test_a_failed_attempt_is_retried_with_a_new_session(
    kinds: dict[str, str],
    contract: dict[str, Any],
    closed_sessions: list[object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    writer = writer_for(kinds, contract, batch_retry_seconds=60)
    frame = FakeFrame()
    seen: list[tuple[list[str], dict[str, str]]] = []

    def write(batch_frame: Any, batch_id: int) -> None:
        context = batch_frame.sparkSession.sparkContext
        seen.append((list(context.tags), dict(batch_frame.sparkSession.conf.values)))
        if len(seen) == 1:
            closed = FakeThrowable("java.lang.IllegalStateException: Cluster is closed")
            raise FakePy4JError(PY4J_TEXT, closed)

    writer._write = write  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="users_stream"):
        writer(frame, 7)  # type: ignore[arg-type]
    assert seen == [
        (["users-stream-batch-7-attempt-1"], {}),
        (["users-stream-batch-7-attempt-2"], {SESSION_GENERATION_KEY: "60001"}),
    ]
    assert frame.sparkSession.sparkContext.tags == []
    assert len(closed_sessions) == 1 and writer.session_generation == 1
    assert (
        "batch 7: attempt 1 failed, retrying in 1 s: java.lang.IllegalStateException: Cluster is closed"
        in caplog.text
    )
    # Later batches (maybe in a fresh session clone) keep using the new generation.
    later = FakeFrame()
    writer._write = lambda batch_frame, batch_id: seen.append(  # type: ignore[method-assign]
        ([], dict(batch_frame.sparkSession.conf.values))
    )
    writer(later, 8)  # type: ignore[arg-type]
    assert seen[-1] == ([], {SESSION_GENERATION_KEY: "60001"})


def test_a_hung_attempt_is_cancelled_and_retried(
    kinds: dict[str, str],
    contract: dict[str, Any],
    closed_sessions: list[object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    writer = writer_for(kinds, contract, batch_retry_seconds=60, batch_attempt_timeout_seconds=0.3)
    frame = FakeFrame()
    attempts: list[int] = []

    def write(batch_frame: Any, batch_id: int) -> None:
        attempts.append(batch_id)
        if len(attempts) == 1:  # hangs until the watchdog cancels its jobs
            assert batch_frame.sparkSession.sparkContext.cancelled_event.wait(10)
            raise FakePy4JError("An error occurred", FakeThrowable("SparkException: Job cancelled"))

    writer._write = write  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="users_stream"):
        writer(frame, 3)  # type: ignore[arg-type]
    assert attempts == [3, 3]
    assert frame.sparkSession.sparkContext.cancelled == ["users-stream-batch-3-attempt-1"]
    assert len(closed_sessions) == 2  # by the watchdog, then before the retry
    assert "batch 3: attempt 1 still running after 0 s" in caplog.text
    assert "attempt 1 failed, retrying in 1 s: SparkException: Job cancelled" in caplog.text


def test_each_cancelled_attempt_doubles_the_next_ones_time(
    kinds: dict[str, str],
    contract: dict[str, Any],
    closed_sessions: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow but healthy batch is not cut short for ever (no livelock on a cold or busy node)."""
    writer = writer_for(kinds, contract, batch_retry_seconds=60, batch_attempt_timeout_seconds=0.2)
    timeouts: list[float] = []
    real = BatchWriter._bounded_write

    def recording(
        self: BatchWriter, frame: Any, batch_id: int, attempt: int, timeout: float, action: Any = None
    ) -> None:
        timeouts.append(timeout)
        real(self, frame, batch_id, attempt, timeout, action)

    monkeypatch.setattr(BatchWriter, "_bounded_write", recording)

    def write(batch_frame: Any, batch_id: int) -> None:
        context = batch_frame.sparkSession.sparkContext
        if len(timeouts) < 3:  # too slow for the first two attempts, then done
            context.cancelled_event.clear()
            if context.cancelled_event.wait(0.6):
                raise FakePy4JError("An error occurred", FakeThrowable("SparkException: Job cancelled"))

    writer._write = write  # type: ignore[method-assign]
    writer(FakeFrame(), 4)  # type: ignore[arg-type]
    assert timeouts == [0.2, 0.4, 0.8]


def test_giving_up_past_the_deadline_raises(
    kinds: dict[str, str], contract: dict[str, Any], closed_sessions: list[object]
) -> None:
    writer = writer_for(kinds, contract, batch_retry_seconds=0)

    def write(batch_frame: Any, batch_id: int) -> None:
        raise ConnectionError("no Cassandra")

    writer._write = write  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        writer(FakeFrame(), 1)  # type: ignore[arg-type]
    assert closed_sessions == []


# --- the Kafka probe (issue 11: a failure while every service answers is not an outage) ------------

# An ApiVersions v0 response body: error code 0, one entry (api key 18, versions 0..3).
API_VERSIONS_BODY = struct.pack(">hi", 0, 1) + struct.pack(">hhh", 18, 0, 3)


def kafka_reply(correlation_id: int, body: bytes = API_VERSIONS_BODY) -> bytes:
    """A Kafka response: int32 size, int32 correlation id, body."""
    payload = struct.pack(">i", correlation_id) + body
    return struct.pack(">i", len(payload)) + payload


def read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def free_port() -> int:
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port: int = unused.getsockname()[1]
    unused.close()
    return port


def test_kafka_answers_when_a_broker_replies_to_api_versions(cql_server: Any) -> None:
    """The probe sends ApiVersions v0 (api key 18, null client id) and takes the echoed correlation id."""
    received: list[bytes] = []

    def reply(connection: socket.socket) -> None:
        received.append(read_exactly(connection, len(KAFKA_API_VERSIONS_REQUEST)))
        _, _, _, correlation_id, _ = struct.unpack(">ihhih", received[0])
        answer = kafka_reply(correlation_id)
        connection.sendall(answer[:6])  # split across two segments
        time.sleep(0.05)
        connection.sendall(answer[6:])

    assert kafka_answers("127.0.0.1", cql_server(reply), timeout=2)
    size, api_key, api_version, _, client_id_length = struct.unpack(">ihhih", received[0])
    assert (size, api_key, api_version, client_id_length) == (10, 18, 0, -1)


def test_kafka_probe_fails_on_a_wrong_answer_a_close_silence_and_no_listener(cql_server: Any) -> None:
    """Only a broker that serves requests counts: not a TCP accept, a stranger's reply or silence."""

    def answer(data: bytes) -> Callable[[socket.socket], None]:
        def handler(connection: socket.socket) -> None:
            read_exactly(connection, len(KAFKA_API_VERSIONS_REQUEST))
            connection.sendall(data)

        return handler

    _, _, _, correlation_id, _ = struct.unpack(">ihhih", KAFKA_API_VERSIONS_REQUEST)
    assert not kafka_answers("127.0.0.1", cql_server(answer(kafka_reply(correlation_id + 1))), timeout=2)
    assert not kafka_answers("127.0.0.1", cql_server(answer(kafka_reply(correlation_id)[:6])), timeout=2)
    too_short = struct.pack(">ii", 4, correlation_id)  # a size that cannot hold an ApiVersions answer
    assert not kafka_answers("127.0.0.1", cql_server(answer(too_short)), timeout=2)
    assert not kafka_answers("127.0.0.1", cql_server(lambda connection: None), timeout=2)
    started = time.monotonic()
    assert not kafka_answers("127.0.0.1", cql_server(lambda connection: time.sleep(2)), timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert not kafka_answers("127.0.0.1", free_port(), timeout=1)


@pytest.mark.parametrize(
    ("servers", "pairs"),
    [
        ("kafka:9092", [("kafka", 9092)]),
        ("kafka-0:9092,kafka-1:9093", [("kafka-0", 9092), ("kafka-1", 9093)]),
        (" kafka-0:9092 , kafka-1 ,, ", [("kafka-0", 9092), ("kafka-1", 29092)]),
        ("kafka", [("kafka", 29092)]),
        ("kafka:", [("kafka", 29092)]),
        ("[::1]:9093", [("::1", 9093)]),
        ("[::1]", [("::1", 29092)]),
        ("[fe80::1%eth0]:9094,10.0.0.1:9095", [("fe80::1%eth0", 9094), ("10.0.0.1", 9095)]),
        ("::1", [("::1", 29092)]),  # IPv6 without brackets: no port can be told from the address
        ("", []),
    ],
)
def test_host_ports(servers: str, pairs: list[tuple[str, int]]) -> None:
    """Bootstrap server lists as the job probes them: spaces and empty entries ignored, IPv6 in
    brackets, the default port where none is given."""
    assert host_ports(servers, 29092) == pairs


# --- the registry probe ---------------------------------------------------------------------------


@pytest.fixture
def registry() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering `/<status>/subjects` with that status; yields (base URL, paths)."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            status = int(self.path.split("/")[1])
            body = b"[]"
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", paths
    server.shutdown()
    server.server_close()


def test_registry_answers_below_500(registry: tuple[str, list[str]]) -> None:
    """200 and 404 (a registry without that path still serves) answer; 500 and 503 are an outage."""
    url, paths = registry
    assert registry_answers(f"{url}/200", timeout=2)
    assert registry_answers(f"{url}/404/", timeout=2)  # a trailing slash is not doubled
    assert not registry_answers(f"{url}/503", timeout=2)
    assert not registry_answers(f"{url}/500", timeout=2)
    assert paths == ["/200/subjects", "/404/subjects", "/503/subjects", "/500/subjects"]


def test_registry_probe_fails_with_nothing_listening_silence_or_no_url(cql_server: Any) -> None:
    """No listener, a server that never answers (bounded by the timeout) and a malformed URL: no answer."""
    assert not registry_answers(f"http://127.0.0.1:{free_port()}", timeout=1)
    started = time.monotonic()
    assert not registry_answers(
        f"http://127.0.0.1:{cql_server(lambda connection: time.sleep(2))}", timeout=0.3
    )
    assert time.monotonic() - started < 1.5
    assert not registry_answers("not a url", timeout=1)


# --- failure summaries of a Python worker's error -------------------------------------------------

PYTHON_WORKER_TEXT = (
    "\n  An exception was thrown from the Python worker. Please see the stack trace below.\n"
    "Traceback (most recent call last):\n"
    '  File "/opt/spark/python/lib/pyspark.zip/pyspark/worker.py", line 1247, in main\n'
    "    process()\n"
    '  File "/app/users_stream/job.py", line 12, in store\n'
    '    raise ValueError("boom")\n'
    "ValueError: boom\n"
)
PYTHON_WORKER_PY4J_TEXT = (
    "An error occurred while calling o212.collectToPython.\n"
    ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 9.0 failed 1 "
    "times, most recent failure: Lost task 0.0 in stage 9.0 (TID 9): "
    "org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n"
    '  File "/app/users_stream/job.py", line 12, in store\n'
    '    raise ValueError("boom")\n'
    "ValueError: boom\n"
    "\n"
    "\tat org.apache.spark.api.python.BasePythonRunner$ReaderIterator.handlePythonException"
    "(PythonRunner.scala:572)\n"
    "\tat org.apache.spark.sql.execution.python.PythonArrowOutput$$anon$1.read(PythonArrowOutput.scala:118)\n"
)


def test_summary_of_a_python_worker_failure_is_the_worker_error() -> None:
    """Not "An exception was thrown from the Python worker": the last line of its traceback."""
    assert failure_summary(RuntimeError(PYTHON_WORKER_TEXT)) == "Python worker: ValueError: boom"
    root = FakeThrowable(
        "org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n"
        '  File "/app/users_stream/job.py", line 12, in store\n'
        "ValueError: boom\n"
    )
    top = FakeThrowable("org.apache.spark.SparkException: Job aborted due to stage failure", root)
    assert failure_summary(FakePy4JError(PYTHON_WORKER_PY4J_TEXT, top)) == "Python worker: ValueError: boom"
    # The JVM cannot be asked: the error is found in the text.
    assert failure_summary(FakePy4JError(PYTHON_WORKER_PY4J_TEXT, None)) == "Python worker: ValueError: boom"


def test_summary_of_chained_python_errors_is_the_last_one() -> None:
    """An error raised while handling another: the summary is the one that ended the worker."""
    text = PYTHON_WORKER_TEXT + (
        "\nDuring handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        '  File "/app/users_stream/job.py", line 14, in store\n'
        "    raise KeyError(name)\n"
        "KeyError: 'id'\n"
    )
    assert failure_summary(RuntimeError(text)) == "Python worker: KeyError: 'id'"


def test_summary_of_a_real_python_worker_failure(spark: Any) -> None:
    """What a local Spark job raises when a Python UDF fails, summarised to the UDF's error."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    def fail(value: int) -> str:
        raise ValueError(f"boom {value}")

    with pytest.raises(Exception) as raised:
        spark.range(1).select(F.udf(fail, StringType())("id")).collect()
    assert "An exception was thrown from the Python worker" in str(raised.value)
    assert failure_summary(raised.value) == "Python worker: ValueError: boom 0"
