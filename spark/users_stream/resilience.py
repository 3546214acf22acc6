"""Bounding a batch write: one-line failure causes, a CQL-level readiness probe, an attempt watchdog.

Pure Python (no Spark, no JVM): `job.BatchWriter` wires these to the Spark context and the Spark
Cassandra Connector.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

log = logging.getLogger("users_stream")

# A native-protocol v4 OPTIONS request on stream 0 (9-byte header, empty body). A node whose native
# transport is serving answers SUPPORTED before any STARTUP or login.
CQL_OPTIONS_REQUEST = bytes([0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00])
_CQL_RESPONSE_FLAG = 0x80
_CQL_OPCODE_SUPPORTED = 0x06

# A Kafka ApiVersions request, version 0 (api key 18), correlation id 0x5eed, null client id. Every
# broker since 0.10 answers it before any authentication; the answer echoes the correlation id. On a
# SASL_PLAINTEXT listener too: the broker's SaslServerAuthenticator accepts ApiVersions (and
# SaslHandshake) before the login (KIP-43), so the probe needs no credentials and sends none
# (checked against a Kafka 3.9.1 SCRAM-SHA-512 listener).
_KAFKA_CORRELATION_ID = 0x5EED
_KAFKA_API_VERSIONS_V0 = struct.pack(">hhih", 18, 0, _KAFKA_CORRELATION_ID, -1)
KAFKA_API_VERSIONS_REQUEST = struct.pack(">i", len(_KAFKA_API_VERSIONS_V0)) + _KAFKA_API_VERSIONS_V0

_MAX_CAUSES = 25
_WHITESPACE = re.compile(r"\s+")


def is_cql_supported_response(header: bytes) -> bool:
    """True when `header` is the 9-byte header of a SUPPORTED response on stream 0."""
    return (
        len(header) == 9
        and header[0] & _CQL_RESPONSE_FLAG != 0
        and header[2:4] == b"\x00\x00"
        and header[4] == _CQL_OPCODE_SUPPORTED
    )


def cql_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """True when `host:port` answers a CQL OPTIONS request with SUPPORTED within `timeout` s.

    Stronger than a TCP connect: a Cassandra that is shutting down or still starting can accept
    connections on the native port and close them without serving a request.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.settimeout(timeout)
            connection.sendall(CQL_OPTIONS_REQUEST)
            header = b""
            while len(header) < 9:
                chunk = connection.recv(9 - len(header))
                if not chunk:
                    return False
                header += chunk
    except OSError:
        return False
    return is_cql_supported_response(header)


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def kafka_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """True when `host:port` answers a Kafka ApiVersions request (a broker serving, not just TCP)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.settimeout(timeout)
            connection.sendall(KAFKA_API_VERSIONS_REQUEST)
            header = _read_exactly(connection, 8)
    except OSError:
        return False
    if header is None:
        return False
    size, correlation_id = struct.unpack(">ii", header)
    return size >= 6 and correlation_id == _KAFKA_CORRELATION_ID


def host_ports(servers: str, default_port: int) -> list[tuple[str, int]]:
    """`host:port[,host:port]` (IPv6 in brackets) as (host, port) pairs."""
    pairs = []
    for entry in servers.split(","):
        entry = entry.strip()
        if not entry:
            continue
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port = rest.lstrip(":")
        else:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        pairs.append((host, int(port) if port.isdigit() else default_port))
    return pairs


def registry_answers(url: str, timeout: float = 3.0) -> bool:
    """True when the Schema Registry at `url` answers HTTP below 500 (`GET <url>/subjects`)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/subjects", timeout=timeout) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _python_worker_error(text: str) -> str | None:
    """The final `Type: message` line of the last Python traceback in `text`, or None.

    A failure in a Python worker reaches the driver as "An exception was thrown from the Python
    worker. Please see the stack trace below." followed by the worker's traceback: the real error
    is the traceback's last unindented line.
    """
    marker = "Traceback (most recent call last):"
    if marker not in text:
        return None
    for line in text.rsplit(marker, 1)[1].splitlines():
        if line.strip() and not line[0].isspace():
            return line.strip()
    return None


def _one_line(text: str, limit: int) -> str:
    line = _WHITESPACE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _java_root_cause(java_exception: Any) -> str | None:
    """`toString()` of the deepest cause of a Py4J `JavaObject` Throwable, or None."""
    try:
        current = java_exception
        for _ in range(_MAX_CAUSES):
            cause = current.getCause()
            if cause is None or cause.equals(current):
                break
            current = cause
        text = current.toString()
    except Exception:  # noqa: BLE001 - the gateway may be gone; fall back to the text
        return None
    return str(text) if text else None


def _caused_by_from_text(text: str) -> str | None:
    """The last `Caused by: ...` line of a Java stack trace, else the `: exception` line after Py4J's."""
    caused = [line.split("Caused by:", 1)[1] for line in text.splitlines() if "Caused by:" in line]
    if caused:
        return caused[-1].strip() or None
    lines = text.strip().splitlines()
    if len(lines) > 1 and lines[0].startswith("An error occurred while calling") and lines[1].startswith(":"):
        return lines[1][1:].strip() or None
    return None


def failure_summary(error: BaseException, limit: int = 300) -> str:
    """One line saying why an attempt failed.

    A Py4J error's own first line is only "An error occurred while calling o159.save."; the
    reason is the Java root cause (e.g. "java.io.IOException: Failed to write statements to
    ks.users. The latest exception was ..."), taken from `error.java_exception`'s cause chain, or
    from the last "Caused by:" line of the text when the JVM cannot be asked.
    """
    text = str(error)
    java_exception = getattr(error, "java_exception", None)
    cause = _java_root_cause(java_exception) if java_exception is not None else None
    if cause is None and text.startswith("An error occurred while calling"):
        cause = _caused_by_from_text(text)
    if cause is None:
        cause = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    worker_error = _python_worker_error(cause) or _python_worker_error(text)
    if worker_error is not None:
        cause = f"Python worker: {worker_error}"
    return _one_line(cause, limit)


class AttemptWatchdog:
    """Bounds one write attempt: `on_timeout` after `timeout` s, then `on_stuck` `grace` s later.

    Use as a context manager around the attempt; leaving the block disarms it. The callbacks run
    on the watchdog's daemon thread (at most once each); their exceptions are logged, not raised.
    """

    def __init__(
        self,
        timeout: float,
        grace: float,
        on_timeout: Callable[[], None],
        on_stuck: Callable[[], None],
        name: str = "attempt-watchdog",
    ) -> None:
        self.timeout = timeout
        self.grace = grace
        self.on_timeout = on_timeout
        self.on_stuck = on_stuck
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=name, daemon=True)

    def _run(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:  # a watchdog must survive its own callbacks
            log.exception("watchdog callback failed")

    def _watch(self) -> None:
        if self._done.wait(self.timeout):
            return
        self.fired = True
        self._run(self.on_timeout)
        if self._done.wait(self.grace):
            return
        self._run(self.on_stuck)

    def __enter__(self) -> AttemptWatchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
