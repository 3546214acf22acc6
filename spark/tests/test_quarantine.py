"""Quarantine instead of crash loops (issue 11): poison records are isolated and dead-lettered.

`isolate_poison` is tested pure (hypothesis: any sorted positions, any poison subset); the real
`BatchWriter` on local Spark, with a store whose Python UDF raises on chosen ids, so that the
batch fails in a Python worker as a poison record made it fail in the job; dead-letter
truncation on local Spark with records far larger than a dead letter may be.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import json_bytes, make_user, settings_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from users_stream import job
from users_stream.config import JobConfig, load_config
from users_stream.job import DEAD_LETTER_MAX_BYTES, BatchWriter, batch_expressions, dead_letters, decode_frame
from users_stream.quarantine import PoisonSuspected, Position, isolate_poison, positions_filter

# --- isolate_poison, pure ---------------------------------------------------------------------------


@st.composite
def batches_with_poison(draw: st.DrawFn) -> tuple[list[Position], set[Position]]:
    """Sorted, distinct (partition, offset) positions (up to 300) and a poison subset of them."""
    partitions = draw(st.integers(min_value=1, max_value=4))
    positions = sorted(
        draw(
            st.sets(
                st.tuples(st.integers(0, partitions - 1), st.integers(0, 10**6)),
                max_size=300,
            )
        )
    )
    if not positions:
        return positions, set()
    poison = draw(
        st.one_of(
            st.sets(st.sampled_from(positions), max_size=4),
            st.sets(st.sampled_from(positions), max_size=len(positions)),
        )
    )
    return positions, poison


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches_with_poison())
def test_isolate_poison_dead_letters_exactly_the_poison(batch: tuple[list[Position], set[Position]]) -> None:
    """Exactly the poison positions are dead-lettered, each once; every other one is in a write that
    succeeded; positions complete in order; at most 2·k·⌈log2 n⌉ + 1 writes for k poison among n.
    """
    positions, poison = batch
    writes: list[list[Position]] = []
    done: list[Position] = []
    lettered: list[tuple[Position, str]] = []

    def write(run: list[Position]) -> None:
        writes.append(list(run))
        bad = [position for position in run if position in poison]
        if bad:
            raise PoisonSuspected(f"poison at {bad[0]}")
        done.extend(run)

    def dead_letter(position: Position, summary: str) -> None:
        lettered.append((position, summary))
        done.append(position)

    isolated = isolate_poison(positions, write, dead_letter)

    assert isolated == len(poison)
    assert sorted(position for position, _ in lettered) == sorted(poison)
    assert all(summary == f"poison at {position}" for position, summary in lettered)
    assert done == positions  # each position once, in order: runs are written left to right
    written = Counter(position for run in writes for position in run if not set(run) & poison)
    assert set(written) == set(positions) - poison and set(written.values()) <= {1}
    n, k = len(positions), len(poison)
    if n == 0:
        assert writes == []
    else:
        assert len(writes) <= 2 * k * math.ceil(math.log2(n)) + 1
        assert len(writes) <= 2 * n - 1


def test_isolate_poison_lets_an_outage_through() -> None:
    """Anything but PoisonSuspected (an outage past its deadline) ends the search: the batch fails."""
    calls: list[int] = []

    def write(run: list[Position]) -> None:
        calls.append(len(run))
        if len(calls) == 1:
            raise PoisonSuspected("boom")
        raise ConnectionError("Cassandra is gone")

    with pytest.raises(ConnectionError):
        isolate_poison([(0, offset) for offset in range(8)], write, lambda position, summary: None)
    assert calls == [8, 4]


# --- BatchWriter on local Spark ------------------------------------------------------------------------

BATCH_ROWS = "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"


def kafka_rows(spark: Any, rows: list[tuple[bytes | None, bytes | None, int, int]]) -> Any:
    """A DataFrame of Kafka source rows from (key, value, partition, offset)."""
    moment = datetime(2025, 1, 1, tzinfo=timezone.utc)
    return spark.createDataFrame(
        [(key, value, "users", partition, offset, moment) for key, value, partition, offset in rows],
        BATCH_ROWS,
    )


def headers_of(letter: Any) -> dict[str, str]:
    return {header["key"]: bytes(header["value"]).decode() for header in letter["headers"]}


class LocalWriter(BatchWriter):
    """BatchWriter storing through a Python UDF that raises on chosen ids; dead letters collected.

    Every service answers, so a failing batch is not an outage: after its retry it is searched
    for the records that make it fail.
    """

    def __init__(
        self,
        config: JobConfig,
        contract: dict[str, Any],
        kinds: dict[str, str],
        poison_ids: set[str],
        marker: Path,
    ) -> None:
        super().__init__(config, contract, settings_for(kinds))
        self.poison_ids = frozenset(poison_ids)
        self.marker = str(marker)
        self.stored: list[str] = []
        self.letters: list[Any] = []
        self.store_attempts = 0

    def cassandra_reachable(self) -> bool:
        return True

    def services_answer(self) -> bool:
        return True

    def _store(self, valid: Any) -> None:
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType

        poison, marker = self.poison_ids, self.marker

        def store(user_id: str) -> str:
            # Runs in a Python worker. An id in `poison` fails every time; the marker id fails once
            # (a transient failure), the first time a worker sees it.
            if user_id in poison:
                raise ValueError(f"cannot store user {user_id}")
            if user_id == "transient" and not os.path.exists(marker):
                Path(marker).touch()
                raise ValueError("transient failure")
            return user_id

        self.store_attempts += 1
        rows = valid.select(F.udf(store, StringType())("id").alias("id")).collect()
        self.stored += [row["id"] for row in rows]

    def _send_dead_letters(self, letters: Any) -> None:
        self.letters += letters.collect()


def local_config(tmp_path: Path) -> JobConfig:
    return load_config(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
            "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
            "CHECKPOINT_DIR": str(tmp_path / "checkpoint"),
            "CASSANDRA_HOSTS": "127.0.0.1",
            "DLQ_TOPIC": "users.dlq",
            "BATCH_RETRY_SECONDS": "30",
            "BATCH_ATTEMPT_TIMEOUT_SECONDS": "120",
        }
    )


@pytest.fixture
def no_connector_sessions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """There is no Cassandra connector in the test JVM: closing its sessions is recorded instead."""
    calls: list[object] = []

    def close(jvm: object, timeout_seconds: int = 20) -> int:
        calls.append(jvm)
        return 0

    monkeypatch.setattr(job, "close_connector_sessions", close)
    return calls


def test_a_batch_that_fails_in_a_python_worker_is_split_and_its_poison_dead_lettered(
    spark: Any,
    contract: dict[str, Any],
    kinds: dict[str, str],
    tmp_path: Path,
    no_connector_sessions: list[object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """40 valid users, 2 that fail the store (ValueError in a Python UDF) and 2 invalid records.

    The batch fails twice while the services answer; the writer then splits it: every other valid
    user is stored, the invalid records get their usual dead letters, and each poison record one
    dead letter, undecoded, whose reason is `poison: Python worker: ValueError: ...` (the worker's
    error, not its wrapper) with the source headers. The log names partition and offset.
    """
    users = [make_user(index) for index in range(42)]
    poison = {users[7]["id"]: 7, users[30]["id"]: 30}
    invalid = {3: b"{nope", 25: json_bytes({**make_user(99), "gender": "x"})}
    values: list[bytes] = []
    for index, user in enumerate(users):
        values.append(json_bytes(user))
        if index in invalid:
            values.append(invalid[index])
    rows = [(f"k{index}".encode(), value, index % 3, 500 + index) for index, value in enumerate(values)]
    where = {value: (partition, offset) for _, value, partition, offset in rows}
    writer = LocalWriter(local_config(tmp_path), contract, kinds, set(poison), tmp_path / "marker")

    with caplog.at_level(logging.INFO, logger="users_stream"):
        writer(kafka_rows(spark, rows), 17)

    assert set(writer.stored) == {user["id"] for user in users} - set(poison)
    letters = {bytes(letter["value"]): letter for letter in writer.letters}
    assert len(writer.letters) == len(letters) == len(poison) + len(invalid)
    for user_id, index in poison.items():
        value = json_bytes(users[index])
        partition, offset = where[value]
        letter = letters[value]
        headers = headers_of(letter)
        reason = headers["dlq.reason"]
        assert reason == f"poison: Python worker: ValueError: cannot store user {user_id}", reason
        assert headers["dlq.source.topic"] == "users"
        assert (headers["dlq.source.partition"], headers["dlq.source.offset"]) == (
            str(partition),
            str(offset),
        )
        assert bytes(letter["key"]) == f"k{offset - 500}".encode()
        assert not {"dlq.truncated", "dlq.original.size", "dlq.original.key.size"} & set(headers)
        assert (
            f"batch 17: the record at partition {partition} offset {offset} fails on its own: "
            f"Python worker: ValueError: cannot store user {user_id}; sending it to users.dlq"
        ) in caplog.text
    for value in invalid.values():
        reason = headers_of(letters[value])["dlq.reason"]
        assert reason.startswith(("unparsable: not JSON", "invalid: gender: is not a valid gender")), reason
    assert f"batch 17: 2 record(s) quarantined to users.dlq, the other {len(rows) - 2} written" in caplog.text
    # Two whole-batch attempts, then at most 2·k·⌈log2 n⌉ + 1 runs (k = 2), each poison record
    # tried twice on its own: far fewer writes than one per record.
    search = 2 * len(poison) * math.ceil(math.log2(len(rows))) + 1
    assert 2 < writer.store_attempts <= 2 + search + len(poison)


def test_a_failure_that_does_not_repeat_is_retried_not_quarantined(
    spark: Any,
    contract: dict[str, Any],
    kinds: dict[str, str],
    tmp_path: Path,
    no_connector_sessions: list[object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A batch that fails once (a timeout under load, say) while every service answers is retried
    whole and lands: one failure is not enough to go looking for poison."""
    user = make_user(1)

    class TransientWriter(LocalWriter):
        def _store(self, valid: Any) -> None:
            from pyspark.sql import functions as F

            super()._store(valid.withColumn("id", F.lit("transient")))

    writer = TransientWriter(local_config(tmp_path), contract, kinds, set(), tmp_path / "marker")
    with caplog.at_level(logging.INFO, logger="users_stream"):
        writer(kafka_rows(spark, [(b"k", json_bytes(user), 0, 1)]), 5)
    assert writer.stored == ["transient"]
    assert writer.store_attempts == 2 and writer.letters == []
    assert (
        "batch 5: attempt 1 failed, retrying in 1 s: Python worker: ValueError: transient failure"
        in caplog.text
    )
    assert "looking for the record(s)" not in caplog.text


def test_positions_filter_selects_exactly_a_run(spark: Any) -> None:
    """A run of sorted positions (as bisection makes them) selects exactly its rows, across partitions."""
    rows = [
        (None, b"x", partition, offset)
        for partition in range(3)
        for offset in range(10 * partition, 10 * partition + 7)
    ]
    frame = kafka_rows(spark, rows)
    positions = sorted((partition, offset) for _, _, partition, offset in rows)
    for start, stop in ((0, 21), (0, 1), (3, 4), (5, 12), (6, 16), (13, 21), (20, 21)):
        run = positions[start:stop]
        selected = sorted(
            (row["partition"], row["offset"]) for row in frame.where(positions_filter(run)).collect()
        )
        assert selected == run, (start, stop)


# --- dead-letter truncation ---------------------------------------------------------------------------


def pattern(size: int, seed: int) -> bytes:
    """`size` bytes that differ along the way, so a prefix is told from any other cut."""
    block = bytes((seed + index) % 251 for index in range(251))
    return (block * (size // len(block) + 1))[:size]


def test_dead_letters_keep_a_bounded_prefix_and_say_so(
    spark: Any, contract: dict[str, Any], kinds: dict[str, str]
) -> None:
    """A 200 KiB value and a 100 KiB key are cut to 64 KiB prefixes, marked with their sizes.

    Only a cut part gets its size header; a dead letter that fits (even one exactly 65,536 bytes)
    has none of the truncation headers.
    """
    big_value, big_key = pattern(204_800, 1), pattern(102_400, 2)
    exact = pattern(DEAD_LETTER_MAX_BYTES, 3)
    cases = {
        "both": (big_key, big_value),
        "value": (b"small-key", pattern(204_800, 4)),
        "key": (big_key, b"{nope"),
        "exact": (pattern(DEAD_LETTER_MAX_BYTES, 5), exact),
        "small": (b"k", b"{nope"),
        "empty": (None, None),
    }
    rows = [(key, value, 0, offset) for offset, (key, value) in enumerate(cases.values())]
    decoded = decode_frame(kafka_rows(spark, rows), settings_for(kinds, max_bytes=1024), contract)
    letters = dead_letters(decoded, batch_expressions(contract)).collect()
    by_offset = {int(headers_of(letter)["dlq.source.offset"]): letter for letter in letters}
    assert sorted(by_offset) == list(range(len(cases)))
    truncation = {"dlq.truncated", "dlq.original.size", "dlq.original.key.size"}

    def letter_of(name: str) -> tuple[bytes | None, bytes | None, dict[str, str]]:
        letter = by_offset[list(cases).index(name)]
        key = bytes(letter["key"]) if letter["key"] is not None else None
        value = bytes(letter["value"]) if letter["value"] is not None else None
        return key, value, headers_of(letter)

    key, value, headers = letter_of("both")
    assert value == big_value[:DEAD_LETTER_MAX_BYTES] and key == big_key[:DEAD_LETTER_MAX_BYTES]
    assert headers["dlq.truncated"] == "true"
    assert headers["dlq.original.size"] == "204800"
    assert headers["dlq.original.key.size"] == "102400"
    assert headers["dlq.reason"] == "oversize: 204800 bytes is more than MAX_RECORD_BYTES=1024"
    assert headers["dlq.source.partition"] == "0"

    key, value, headers = letter_of("value")
    assert key == b"small-key" and value == cases["value"][1][:DEAD_LETTER_MAX_BYTES]
    assert (headers["dlq.truncated"], headers["dlq.original.size"]) == ("true", "204800")
    assert "dlq.original.key.size" not in headers

    key, value, headers = letter_of("key")
    assert key == big_key[:DEAD_LETTER_MAX_BYTES] and value == b"{nope"
    assert (headers["dlq.truncated"], headers["dlq.original.key.size"]) == ("true", "102400")
    assert "dlq.original.size" not in headers
    assert headers["dlq.reason"].startswith("unparsable: not JSON")

    for name in ("exact", "small", "empty"):
        key, value, headers = letter_of(name)
        assert (key, value) == cases[name], name
        assert not truncation & set(headers), (name, headers)
        assert {"dlq.reason", "dlq.source.topic", "dlq.source.partition", "dlq.source.offset"} <= set(headers)
