"""The job's view of the contract (each rule's cases: contracts/users.cases.json, test_cases.py)."""

from __future__ import annotations

from typing import Any

from conftest import make_user

from users_stream.contract import field_kinds, validate_user


def test_contract_fields_in_wire_order(contract: dict[str, Any]) -> None:
    kinds = field_kinds(contract)
    assert list(kinds)[:3] == ["id", "first_name", "last_name"]
    assert kinds["id"] == "uuid"
    assert kinds["street_number"] == "int"
    assert kinds["dob"] == "date"
    assert kinds["event_time"] == "timestamp"
    assert len(kinds) == 17


def test_a_valid_user_has_no_problems(kinds: dict[str, str]) -> None:
    for index in range(50):
        assert validate_user(make_user(index), kinds) == []
