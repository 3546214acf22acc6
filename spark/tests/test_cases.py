"""The shared cases of the users record rules (contracts/users.cases.json) under the job's validator.

tests/unit/contract-cases.test.ts runs the same file under contracts/validate.ts. Record and value
cases go through `validate_user`; document cases through `RecordDecoder.decode`, as the job reads a
Kafka value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REPO, settings_for

from users_stream.contract import validate_user
from users_stream.decode import RecordDecoder

CASES: dict[str, Any] = json.loads((REPO / "contracts" / "users.cases.json").read_text(encoding="utf-8"))


def _record(entry: dict[str, Any]) -> dict[str, Any]:
    value = {**CASES["base"], **entry.get("change", {})}
    for name in entry.get("remove", []):
        del value[name]
    return value


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["name"] for entry in entries]


@pytest.mark.parametrize("entry", CASES["records"], ids=_ids(CASES["records"]))
def test_record(entry: dict[str, Any], kinds: dict[str, str]) -> None:
    assert validate_user(_record(entry), kinds) == entry["problems"]


@pytest.mark.parametrize("entry", CASES["values"], ids=_ids(CASES["values"]))
def test_value(entry: dict[str, Any], kinds: dict[str, str]) -> None:
    assert validate_user(entry["value"], kinds) == entry["problems"]


@pytest.mark.parametrize("entry", CASES["documents"], ids=_ids(CASES["documents"]))
def test_document(entry: dict[str, Any], kinds: dict[str, str]) -> None:
    value = bytes.fromhex(entry["hex"]) if "hex" in entry else entry["text"].encode("utf-8", "surrogatepass")
    outcome = RecordDecoder(settings_for(kinds)).decode(value)
    if entry.get("unparsable"):
        assert outcome.reason is not None and outcome.reason.startswith("unparsable: "), outcome
    elif entry["problems"]:
        assert outcome.reason == "invalid: " + "; ".join(entry["problems"])
    else:
        assert outcome.reason is None and outcome.values is not None
