"""The JVM validator's Avro half (datapipeline.validator.avro) against the Python reference.

Values in Confluent wire format are decoded by `RecordDecoder` (fastavro, the reference) and by the
JVM validator (OutcomeCli, the UDF's outcome function, fetching writer schemas from a registry
stand-in served here over HTTP, as the harness' registry would serve them): every outcome must be
the same, reason or values. Writer schemas: the contract's (contracts/users.avsc) and
JVM_AVRO_SCHEMAS (default 60) mutated ones (extra fields of every Avro type, fields made optional
unions, fields dropped or retyped); values: JVM_AVRO_VALUES (default 3,000) records written with
them, some cut short, with bytes flipped or appended, or with a schema id the registry lacks.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import avro_schema, make_user, settings_for
from fastavro import parse_schema, schemaless_writer
from test_jvm_validator import KINDS, MAX_BYTES, expected_outcome, jvm_outcomes

from users_stream.decode import RecordDecoder

SCHEMA_COUNT = int(os.environ.get("JVM_AVRO_SCHEMAS", "60"))
VALUE_COUNT = int(os.environ.get("JVM_AVRO_VALUES", "3000"))

EXTRA_TYPES: list[tuple[Any, Any]] = [
    ("int", lambda r: r.randrange(-(2**31), 2**31)),
    ("long", lambda r: r.randrange(-(2**63), 2**63)),
    ("float", lambda r: r.random() * 1e6),
    ("double", lambda r: r.choice([0.1, -0.0, 1e300, r.random()])),
    ("boolean", lambda r: r.random() < 0.5),
    ("string", lambda r: r.choice(["", "x", "Zoë", "😀", "a\u200bb"])),
    ("bytes", lambda r: bytes(r.randrange(256) for _ in range(r.randrange(5)))),
    ("null", lambda r: None),
    ({"type": "fixed", "name": "F4", "size": 4}, lambda r: bytes(r.randrange(256) for _ in range(4))),
    ({"type": "enum", "name": "Colour", "symbols": ["red", "green"]}, lambda r: r.choice(["red", "green"])),
    ({"type": "array", "items": "int"}, lambda r: [r.randrange(100) for _ in range(r.randrange(4))]),
    ({"type": "map", "values": "string"}, lambda r: {f"k{i}": "v" for i in range(r.randrange(3))}),
    (
        {"type": "record", "name": "Inner", "fields": [{"name": "a", "type": "int"}]},
        lambda r: {"a": r.randrange(10)},
    ),
    (["null", "string"], lambda r: r.choice([None, "s"])),
    ({"type": "int", "logicalType": "date"}, lambda r: __import__("datetime").date(2000, 1, 2)),
]


def _mutated_schema(rnd: random.Random, number: int) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """A writer schema derived from the contract's, and how to fill its extra fields."""
    schema = avro_schema()
    fields = [dict(field) for field in schema["fields"]]
    extras: list[tuple[str, Any]] = []
    for index in range(rnd.randint(0, 3)):
        avro_type, make = rnd.choice(EXTRA_TYPES)
        if isinstance(avro_type, dict) and "name" in avro_type:
            avro_type = {**avro_type, "name": f"{avro_type['name']}{number}x{index}"}
        name = f"extra_{index}"
        fields.insert(rnd.randrange(len(fields) + 1), {"name": name, "type": avro_type})
        extras.append((name, make))
    if rnd.random() < 0.3:
        victim = rnd.randrange(len(fields))
        if not fields[victim]["name"].startswith("extra_"):
            fields.pop(victim)
    if rnd.random() < 0.3:
        target = rnd.choice([field for field in fields if field["type"] == "string"] or fields)
        target["type"] = ["null", target["type"]]
    return {**schema, "fields": fields}, extras


def _native(user: dict[str, Any]) -> dict[str, Any]:
    from datetime import date, datetime
    from uuid import UUID

    native = dict(user)
    native["id"] = UUID(user["id"])
    native["dob"] = date.fromisoformat(user["dob"])
    for name in ("registered_at", "event_time"):
        native[name] = datetime.fromisoformat(user[name].replace("Z", "+00:00"))
    return native


def _values(schemas: dict[int, dict[str, Any]], plans: dict[int, list[tuple[str, Any]]]) -> list[bytes]:
    rnd = random.Random(15)
    values: list[bytes] = []
    for _ in range(VALUE_COUNT):
        schema_id = rnd.choice(list(schemas))
        schema = schemas[schema_id]
        names = {field["name"] for field in schema["fields"]}
        record = {
            key: value for key, value in _native(make_user(rnd.randrange(1000))).items() if key in names
        }
        for name, make in plans[schema_id]:
            record[name] = make(rnd)
        for field in schema["fields"]:
            if isinstance(field["type"], list) and rnd.random() < 0.5:
                record[field["name"]] = None
        if rnd.random() < 0.1 and "street_number" in record:
            record["street_number"] = rnd.choice([0, -5, 2**31 - 1, 100000])
        if rnd.random() < 0.1 and "dob" in record:
            from datetime import date

            record["dob"] = rnd.choice([date(1, 1, 1), date(9999, 12, 31), date(2020, 1, 1)])
        body = io.BytesIO()
        schemaless_writer(body, parse_schema(schema), record)
        value = struct.pack(">bI", 0, schema_id) + body.getvalue()
        mutation = rnd.random()
        if mutation < 0.1:
            value = value[: rnd.randrange(len(value))]
        elif mutation < 0.25:
            index = rnd.randrange(5, len(value))
            value = value[:index] + bytes([rnd.randrange(256)]) + value[index + 1 :]
        elif mutation < 0.3:
            value = value + bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4)))
        elif mutation < 0.33:
            value = struct.pack(">bI", 0, 999) + value[5:]
        elif mutation < 0.35:
            value = bytes([rnd.randrange(1, 256)]) + value[1:]
        values.append(value)
    return values


@pytest.fixture(scope="module")
def registry() -> Iterator[tuple[str, dict[int, dict[str, Any]], dict[int, list[tuple[str, Any]]]]]:
    """A registry stand-in: GET /schemas/ids/N answers the schema (or 404), as Confluent's API."""
    rnd = random.Random(14)
    schemas: dict[int, dict[str, Any]] = {1: avro_schema()}
    plans: dict[int, list[tuple[str, Any]]] = {1: []}
    for number in range(2, SCHEMA_COUNT + 2):
        schemas[number], plans[number] = _mutated_schema(rnd, number)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            schema = schemas.get(int(self.path.rsplit("/", 1)[-1]))
            body = json.dumps({"schema": json.dumps(schema)} if schema else {"error_code": 40403}).encode()
            self.send_response(200 if schema else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", schemas, plans
    server.shutdown()


def test_the_jvm_avro_parser_gives_the_reference_outcome(registry: Any) -> None:
    url, schemas, plans = registry
    values = _values(schemas, plans)
    decoder = RecordDecoder(
        settings_for(KINDS, "avro", max_bytes=MAX_BYTES),
        fetch_schema=lambda schema_id: schemas.get(schema_id),
    )
    differences = [
        (value.hex(), expected, actual)
        for value, actual in zip(values, jvm_outcomes(list(values), "avro", url), strict=True)
        if actual != (expected := expected_outcome(decoder, value))
    ]
    assert differences == [], f"{len(differences)} of {len(values)} differ, first: {differences[:3]}"
    kinds = {(expected_outcome(decoder, value)[-1] or "valid").split(" (")[0][:40] for value in values}
    assert any(kind == "valid" for kind in kinds) and any(
        kind.startswith("unparsable") for kind in kinds
    ), kinds


def test_an_unreachable_registry_is_an_outage_not_a_dead_letter() -> None:
    """No answer from the registry fails the record's task (the batch is retried), as in Python."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    value = struct.pack(">bI", 0, 7) + b"\x00"
    with pytest.raises(AssertionError, match=r"RegistryUnavailableException: schema registry .* unreachable"):
        jvm_outcomes([value], "avro", f"http://127.0.0.1:{port}")
