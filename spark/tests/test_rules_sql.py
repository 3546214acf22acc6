"""The rules compiled to Spark SQL (rules_sql.py) on the shared cases (contracts/users.cases.json).

Each case is a Kafka value in a local Spark: the compiled expressions must give the reason the
Python decoder gives (decode.py), in the same words.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import REPO

from users_stream.rules_sql import REASON, java_pattern, judge_json

CASES: dict[str, Any] = json.loads((REPO / "contracts" / "users.cases.json").read_text(encoding="utf-8"))
MAX_RECORD_BYTES = 65_536
_surrogate = re.compile("[\ud800-\udfff]")


def _json_text(value: Any) -> bytes:
    """Compact JSON as a producer writes it: UTF-8, lone surrogates as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _surrogate.sub(lambda match: f"\\u{ord(match.group()):04x}", text).encode("utf-8")


def _expected_reason(problems: list[str]) -> str | None:
    return "invalid: " + "; ".join(problems) if problems else None


def _cases() -> list[tuple[str, bytes, str | None]]:
    """(name, Kafka value, expected reason; "unparsable" for any unparsable reason)."""
    out: list[tuple[str, bytes, str | None]] = []
    for entry in CASES["records"]:
        value = {**CASES["base"], **entry.get("change", {})}
        for name in entry.get("remove", []):
            del value[name]
        out.append((f"record: {entry['name']}", _json_text(value), _expected_reason(entry["problems"])))
    for entry in CASES["values"]:
        out.append(
            (f"value: {entry['name']}", _json_text(entry["value"]), _expected_reason(entry["problems"]))
        )
    for entry in CASES["documents"]:
        value = (
            bytes.fromhex(entry["hex"]) if "hex" in entry else entry["text"].encode("utf-8", "surrogatepass")
        )
        expected = "unparsable" if entry.get("unparsable") else _expected_reason(entry["problems"])
        out.append((f"document: {entry['name']}", value, expected))
    return out


@pytest.fixture(scope="module")
def reasons(spark: Any) -> dict[str, str | None]:
    cases = _cases()
    frame = spark.createDataFrame([(name, value) for name, value, _ in cases], "name string, value binary")
    judged = judge_json(frame, MAX_RECORD_BYTES).select("name", REASON)
    return {row["name"]: row[REASON] for row in judged.collect()}


@pytest.mark.parametrize(("name", "value", "expected"), _cases(), ids=[case[0] for case in _cases()])
def test_case(reasons: dict[str, str | None], name: str, value: bytes, expected: str | None) -> None:
    reason = reasons[name]
    if expected == "unparsable":
        assert reason is not None and reason.startswith("unparsable: "), reason
    else:
        assert reason == expected


def test_unicode_properties_become_explicit_ranges() -> None:
    pattern = java_pattern("\\p{L}[\\p{L}\\p{M}' .-]{0,63}")
    assert "\\p{" not in pattern
    assert pattern.startswith("[\\x{41}-\\x{5a}\\x{61}-\\x{7a}")
