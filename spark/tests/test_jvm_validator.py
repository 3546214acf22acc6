"""The job's JVM validator (spark/validator) against the Python reference (users_stream.decode).

The job decodes and validates in the executor JVMs; `RecordDecoder` states the same outcome in
Python. Here both run on the same Kafka values and must agree outcome for outcome: the same reason
character for character, or the same field values (dates as days, timestamps as microseconds, as
the UDF returns them). The values: every document case of contracts/users.cases.json, every record
case as JSON text, and JVM_DIFFERENTIAL_VALUES (default 3,000) generated ones: valid users with one
to three mutations (fields removed, retyped, given tricky text, numbers or dates; unknown keys;
whitespace, escapes, duplicate keys), cut short, bytes flipped, random bytes, deep nesting.
The JVM side is datapipeline.validator.OutcomeCli, the UDF's own outcome function.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import regex
from conftest import REPO, make_user, settings_for, validator_jar

from users_stream.contract import field_kinds, load_contract_schema
from users_stream.decode import RecordDecoder

KINDS = field_kinds(load_contract_schema())
MAX_BYTES = 4_096
COUNT = int(os.environ.get("JVM_DIFFERENTIAL_VALUES", "3000"))
CASES: dict[str, Any] = json.loads((REPO / "contracts" / "users.cases.json").read_text(encoding="utf-8"))
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

TRICKY_JSON = [
    "null",
    "true",
    "1e400",
    "-0",
    "5.0",
    "1e2",
    "12345678901234567890",
    '"\\ud83d"',
    '"\\ud83d\\ude00"',
    "[]",
    "{}",
    '{"a":{"b":[[[]]]}}',
    '"\\u00e9"',
    "0.1",
    "1.5e-7",
    "123456789012345678",
    "1.0e16",
    "2e-5",
    "[1e22, 1e21, 1e-4, 0.001]",
    '"\\u0000"',
    '"\\ud800\\udc00x"',
    '"\\udc00\\ud800"',
    '"a\\u200bb"',
]
TRICKY_DOCUMENTS = [
    "-",
    '"a\\x"',
    '"\\u12"',
    '{"a":1,}',
    "[1,]",
    "[1 2]",
    '{"a" 1}',
    "{a:1}",
    '"\t"',
    '"abc',
    "\ufeff{}",
    " ",
    "",
    "NaN",
    "-Infinity",
    "[Infinity]",
    '{"a":1} x',
    "[" * 70 + "]" * 70,
    '["' + "[" * 70 + '"]',
]
TRICKY_VALUES: list[object] = [
    0,
    -1,
    99999,
    100000,
    2**31,
    -(2**31) - 1,
    42.5,
    42.0,
    True,
    None,
    "",
    "x" * 300,
    "Zoë",
    "\u0301a",
    "a\u200bb",
    "😀",
    "ǅ",
    "ᏸ",
    "O'Neil",
    "José",
    "1990-02-30",
    "0000-01-01",
    "1900-01-01",
    "2100-01-01",
    "2020-01-01T24:00:00.000Z",
    "2020-01-01T23:59:59.999Z",
    "2020-02-30T10:00:00.000Z",
    "2020-01-01T10:60:00.000Z",
    "2020-01-01T10:00:60.000Z",
    "0000-01-01T00:00:00.000Z",
    "0001-01-01T00:00:00.000Z",
    "1969-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59.999Z",
    "https://a.b/c",
    "x@y.zz",
    "+1 555",
    "female",
    "97477",
    "ab",
    [1, "a"],
    {"k": [None, 1.5]},
]


def _generated(count: int, seed: int = 14) -> list[bytes | None]:
    rnd = random.Random(seed)
    fields = list(KINDS)
    values: list[bytes | None] = []
    for _ in range(count):
        user: dict[str, Any] = make_user(rnd.randrange(1_000))
        for _ in range(rnd.randint(0, 3)):
            name = rnd.choice(fields)
            choice = rnd.random()
            if choice < 0.15:
                user.pop(name, None)
            elif choice < 0.3:
                user[name] = json.loads(rnd.choice(TRICKY_JSON))
            elif choice < 0.5:
                user[name] = rnd.choice(TRICKY_VALUES)
            elif choice < 0.6:
                user[rnd.choice(["extra", "id ", "\u200b", "😀"])] = 1
            elif choice < 0.75:
                user["dob"] = (
                    f"{rnd.randrange(1900, 2030)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
                )
            else:
                user[name] = str(rnd.random())
        text = json.dumps(user, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice([None, None, 1]))
        value = text.encode("utf-8", "surrogatepass")
        mutation = rnd.random()
        if mutation < 0.1:
            value = value[: rnd.randrange(len(value))]
        elif mutation < 0.2:
            index = rnd.randrange(len(value))
            value = value[:index] + bytes([rnd.randrange(256)]) + value[index + 1 :]
        elif mutation < 0.25:
            value = bytes(rnd.randrange(256) for _ in range(rnd.randrange(20)))
        elif mutation < 0.3:
            value = rnd.choice(TRICKY_DOCUMENTS).encode("utf-8", "surrogatepass")
        elif mutation < 0.32:
            value = value + b" " * MAX_BYTES
        values.append(value)
    values.append(None)
    return values


def _case_values() -> list[bytes | None]:
    values: list[bytes | None] = []
    for entry in CASES["documents"]:
        values.append(
            bytes.fromhex(entry["hex"]) if "hex" in entry else entry["text"].encode("utf-8", "surrogatepass")
        )
    for entry in CASES["records"]:
        record = {**CASES["base"], **entry.get("change", {})}
        for name in entry.get("remove", []):
            del record[name]
        values.append(json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    for entry in CASES["values"]:
        values.append(json.dumps(entry["value"]).encode())
    return values


def jvm_outcomes(values: list[bytes | None], record_format: str = "json", *extra: str) -> list[list[Any]]:
    """Each value's outcome from the JVM validator (OutcomeCli): field values, then the reason."""
    pyspark_jars = Path(__import__("pyspark").__file__).parent / "jars" / "*"
    classpath = os.pathsep.join([validator_jar(), str(pyspark_jars)])
    lines = "".join(("-" if value is None else value.hex()) + "\n" for value in values)
    run = subprocess.run(
        [
            "java",
            "-cp",
            classpath,
            "datapipeline.validator.OutcomeCli",
            record_format,
            str(MAX_BYTES),
            *extra,
        ],
        input=lines.encode(),
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr.decode()[-3_000:]
    outcomes = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert len(outcomes) == len(values)
    return outcomes


def expected_outcome(decoder: RecordDecoder, value: bytes | None) -> list[Any]:
    """The Python reference's outcome in the UDF's form."""
    outcome = decoder.decode(value)
    if outcome.values is None:
        return [None] * len(KINDS) + [outcome.reason]
    row: list[Any] = []
    for kind, field_value in zip(KINDS.values(), outcome.values, strict=True):
        if kind == "date":
            row.append((date.fromisoformat(field_value) - EPOCH.date()).days)
        elif kind == "timestamp":
            moment = datetime.strptime(field_value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            row.append((moment - EPOCH) // timedelta(microseconds=1))
        elif kind == "int":
            row.append(int(field_value))
        else:
            row.append(field_value)
    return [*row, None]


@pytest.mark.parametrize(
    "source", ["shared cases", "generated"], ids=["shared cases", f"{COUNT} generated values"]
)
def test_the_jvm_validator_gives_the_reference_outcome(source: str) -> None:
    values = _case_values() if source == "shared cases" else _generated(COUNT)
    decoder = RecordDecoder(settings_for(KINDS, max_bytes=MAX_BYTES))
    differences = [
        (value, expected, actual)
        for value, actual in zip(values, jvm_outcomes(values), strict=True)
        if actual != (expected := expected_outcome(decoder, value))
    ]
    assert differences == [], f"{len(differences)} of {len(values)} differ, first: {differences[:3]}"
    reasons = {(expected_outcome(decoder, value)[-1] or "valid").split(":")[0] for value in values}
    if source == "generated":  # the mix covers every outcome kind
        assert {"valid", "invalid", "unparsable", "empty", "oversize"} <= reasons, reasons


def test_the_unicode_table_is_the_reference_regex_unicode() -> None:
    """contracts/users.unicode.json (the JVM's \\p{X}) holds exactly what `regex` matches."""
    table = json.loads((REPO / "contracts" / "users.unicode.json").read_text(encoding="utf-8"))["properties"]
    assert set(table) >= {"L", "M", "C", "Z"}
    for name, flat in table.items():
        members = set()
        for first, last in zip(flat[::2], flat[1::2], strict=True):
            members.update(range(first, last + 1))
        prop = regex.compile(rf"\p{{{name}}}")
        wrong = [
            code for code in range(0x110000) if (prop.fullmatch(chr(code)) is not None) != (code in members)
        ]
        assert wrong == [], (name, wrong[:10])
