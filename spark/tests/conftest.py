"""Shared fixtures: the contract, valid users, encoders, a local SparkSession."""

from __future__ import annotations

import io
import json
import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SPARK_DIR = Path(__file__).resolve().parent.parent
REPO = SPARK_DIR.parent
sys.path.insert(0, str(SPARK_DIR))
# Spark's Python workers import the job package too.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SPARK_DIR), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from users_stream.contract import field_kinds, load_contract_schema  # noqa: E402
from users_stream.decode import DecoderSettings  # noqa: E402

AVRO_SCHEMA_PATH = REPO / "contracts" / "users.avsc"


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    return load_contract_schema()


@pytest.fixture(scope="session")
def kinds(contract: dict[str, Any]) -> dict[str, str]:
    return field_kinds(contract)


def make_user(index: int = 0) -> dict[str, Any]:
    """A valid user as the producer sends it in JSON."""
    return {
        "id": f"0b3f6f8e-1c2d-4e5f-8a9b-{index:012x}",
        "first_name": "Zoë",
        "last_name": "O'Brien-Smith",
        "gender": "female",
        "street_number": 42 + index,
        "street_name": "Main Street",
        "city": "Springfield",
        "state": "Oregon",
        "postcode": "97477",
        "country": "United States",
        "email": f"zoe.obrien{index}@example.com",
        "username": f"zoe_{index}",
        "dob": "1990-05-17",
        "registered_at": "2015-03-01T10:20:30.456Z",
        "phone": "+1 (541) 555-0100",
        "picture": "https://images.example.com/u/1.jpg",
        "event_time": "2025-01-31T12:00:00.000Z",
    }


@pytest.fixture
def user() -> dict[str, Any]:
    return make_user()


def json_bytes(record: Any) -> bytes:
    return json.dumps(record).encode("utf-8")


def avro_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(AVRO_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def avro_bytes(record: dict[str, Any], schema_id: int = 1, schema: dict[str, Any] | None = None) -> bytes:
    """Confluent wire format: magic 0, big-endian schema id, Avro binary."""
    from datetime import date, datetime
    from uuid import UUID

    from fastavro import parse_schema, schemaless_writer

    native = dict(record)
    if schema is None:
        schema = avro_schema()
        native["id"] = UUID(record["id"])
        native["dob"] = date.fromisoformat(record["dob"])
        native["registered_at"] = datetime.fromisoformat(record["registered_at"])
        native["event_time"] = datetime.fromisoformat(record["event_time"])
    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", 0, schema_id))
    schemaless_writer(buffer, parse_schema(schema), native)
    return buffer.getvalue()


def settings_for(
    kinds: dict[str, str], record_format: str = "json", max_bytes: int = 65_536
) -> DecoderSettings:
    return DecoderSettings(
        record_format=record_format, kinds=tuple(kinds.items()), max_record_bytes=max_bytes
    )


def validator_jar() -> str:
    """The job's JVM validator jar (spark/validator), which scripts/test-python.ts builds and names."""
    jar = os.environ.get("DATA_PIPELINE_VALIDATOR_JAR")
    if not jar or not Path(jar).is_file():
        raise RuntimeError(
            "DATA_PIPELINE_VALIDATOR_JAR does not name the validator jar: run the tests with "
            "`npm run test:python`, which builds it (tests/harness/services/validator.ts)"
        )
    return jar


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("users-stream-tests")
        .config("spark.jars", validator_jar())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
