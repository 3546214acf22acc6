"""The job's decoding inside local pyspark: the JVM validator's output, typed valid rows, DLQ messages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from conftest import json_bytes, make_user, settings_for

from users_stream.job import (
    VALIDATOR_FUNCTION,
    batch_expressions,
    dead_letters,
    decode_frame,
    valid_rows,
    write_counted,
)


def kafka_frame(spark: Any, values: list[bytes | None]) -> Any:
    rows = [
        (
            f"k{index}".encode(),
            value,
            "users",
            index % 3,
            1000 + index,
            datetime(2025, 1, 1, tzinfo=UTC),
        )
        for index, value in enumerate(values)
    ]
    return spark.createDataFrame(
        rows, "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
    )


def test_valid_and_invalid_rows_split(spark: Any, contract: dict[str, Any], kinds: dict[str, str]) -> None:
    good = [make_user(index) for index in range(5)]
    bad: list[bytes | None] = [b"{nope", None, json_bytes({**make_user(9), "gender": "x"}), b"x" * 3000]
    frame = kafka_frame(spark, [json_bytes(user) for user in good] + bad)
    decoded = decode_frame(frame, settings_for(kinds, max_bytes=2048), contract).cache()

    rows = valid_rows(decoded, batch_expressions(contract)).orderBy("street_number").collect()
    assert [row["id"] for row in rows] == [user["id"] for user in good]
    first = rows[0]
    assert first["dob"] == date(1990, 5, 17)
    assert first["event_time"] == datetime(2025, 1, 31, 12, 0)  # session time zone is UTC
    assert first["registered_at"] == datetime(2015, 3, 1, 10, 20, 30, 456000)
    assert first["street_number"] == 42
    assert first["first_name"] == "Zoë"

    letters = dead_letters(decoded, batch_expressions(contract)).orderBy("key").collect()
    assert len(letters) == 4
    for letter in letters:
        headers = {header["key"]: bytes(header["value"]).decode() for header in letter["headers"]}
        index = int(bytes(letter["key"]).decode()[1:])
        assert headers["dlq.source.topic"] == "users"
        assert headers["dlq.source.partition"] == str(index % 3)
        assert headers["dlq.source.offset"] == str(1000 + index)
        original = bad[index - 5]
        assert (bytes(letter["value"]) if letter["value"] is not None else None) == original
        assert headers["dlq.reason"].split(":")[0] in {"unparsable", "empty", "invalid", "oversize"}
    decoded.unpersist()


def test_valid_rows_match_the_contract_types(
    spark: Any, contract: dict[str, Any], kinds: dict[str, str]
) -> None:
    frame = kafka_frame(spark, [json_bytes(make_user())])
    rows = valid_rows(decode_frame(frame, settings_for(kinds), contract), batch_expressions(contract))
    assert {field.name: field.dataType.typeName() for field in rows.schema.fields} == {
        entry["name"]: entry["type"] for entry in contract["fields"]
    }


def test_write_counted_counts_in_the_storing_pass(
    spark: Any, contract: dict[str, Any], kinds: dict[str, str], tmp_path: Any
) -> None:
    good = [make_user(index) for index in range(7)]
    bad: list[bytes | None] = [b"{nope", None, json_bytes({**make_user(9), "gender": "x"})]
    frame = kafka_frame(spark, [json_bytes(user) for user in good] + bad)
    target = str(tmp_path / "valid")
    jobs: list[int] = []

    def store(valid: Any) -> None:
        before = spark.sparkContext.statusTracker().getJobIdsForGroup()
        valid.write.mode("append").parquet(target)
        jobs.append(len(spark.sparkContext.statusTracker().getJobIdsForGroup()) - len(before))

    settings = settings_for(kinds)
    counts = write_counted(
        frame,
        lambda kafka: decode_frame(kafka, settings, contract),
        batch_expressions(contract),
        store,
        "test_counted_1",
    )
    assert counts == (10, 3)
    assert jobs == [1]  # the counts come with the write, not from a job of their own
    stored = spark.read.parquet(target).collect()
    assert sorted(row["id"] for row in stored) == sorted(user["id"] for user in good)


def test_write_counted_with_a_v2_sink_and_an_empty_batch(
    spark: Any, contract: dict[str, Any], kinds: dict[str, str]
) -> None:
    def store(valid: Any) -> None:
        valid.write.format("noop").mode("append").save()

    settings = settings_for(kinds)

    def decode(kafka: Any) -> Any:
        return decode_frame(kafka, settings, contract)

    frame = kafka_frame(spark, [json_bytes(make_user(index)) for index in range(4)] + [b"[]"])
    expressions = batch_expressions(contract)  # shared by all batches, as in the job
    assert write_counted(frame, decode, expressions, store, "test_counted_2") == (5, 1)
    assert write_counted(kafka_frame(spark, []), decode, expressions, store, "test_counted_3") == (0, 0)
    # Nothing valid: the stored rows' observation still reports (0), so every row counts as rejected.
    rejected = kafka_frame(spark, [b"{nope", None, b"[]"])
    assert write_counted(rejected, decode, expressions, store, "test_counted_4") == (3, 3)


def test_write_counted_keeps_decoding_filter_and_projection_in_one_stage(
    spark: Any, contract: dict[str, Any], kinds: dict[str, str]
) -> None:
    """The observations sit at the ends of the plan, not between the decoding and the filter, where
    Spark would copy every decoded row (source columns included) before filtering it."""
    settings = settings_for(kinds)
    plans: list[str] = []

    def store(valid: Any) -> None:
        plans.append(valid._jdf.queryExecution().executedPlan().toString())
        valid.write.format("noop").mode("append").save()

    frame = kafka_frame(spark, [json_bytes(make_user(index)) for index in range(3)] + [b"{nope"])
    counts = write_counted(
        frame,
        lambda kafka: decode_frame(kafka, settings, contract),
        batch_expressions(contract),
        store,
        "test_counted_5",
    )
    assert counts == (4, 1)
    [plan] = plans
    lines = plan.splitlines()
    metrics = [index for index, line in enumerate(lines) if "CollectMetrics" in line]
    assert len(metrics) == 2, plan
    # Top to bottom: the stored rows' count, one generated stage that decodes, filters and projects,
    # then the read rows' count above the scan.
    between = lines[metrics[0] + 1 : metrics[1]]
    # A generated stage's operators are printed "*(stage id) Operator".
    assert {re.search(r"\*\((\d+)\) ", line)[1] for line in between} == {"2"}, plan
    operators = "\n".join(between)
    assert "Filter isnull(decoded" in operators and f"{VALIDATOR_FUNCTION}(" in operators, plan


def test_the_per_task_kafka_warning_is_quieted(spark: Any) -> None:
    from users_stream.job import quiet_per_task_warnings

    jvm = spark.sparkContext._jvm
    log4j = jvm.org.apache.logging.log4j
    configurator = log4j.core.config.Configurator
    name = "org.apache.spark.sql.kafka010.consumer.KafkaDataConsumer"
    other = "org.apache.spark.sql.kafka010.KafkaSourceProvider"
    configurator.setLevel(name, log4j.Level.WARN)
    configurator.setLevel(other, log4j.Level.WARN)
    quiet_per_task_warnings(spark)
    assert log4j.LogManager.getLogger(name).getLevel().toString() == "ERROR"
    assert log4j.LogManager.getLogger(other).getLevel().toString() == "WARN"  # only that logger
