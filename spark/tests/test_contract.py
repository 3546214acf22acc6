"""validate_user mirrors contracts/validate.ts."""

from __future__ import annotations

from typing import Any

import pytest
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


def test_integral_float_is_an_int_like_in_javascript(kinds: dict[str, str], user: dict[str, Any]) -> None:
    user["street_number"] = 42.0
    assert validate_user(user, kinds) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"id": "0B3F6F8E-1C2D-4E5F-8A9B-000000000000"}, "id: is not a lower-case UUID"),
        ({"id": "not-a-uuid"}, "id: is not a lower-case UUID"),
        ({"first_name": 7}, "first_name: is not a string"),
        ({"first_name": "R2D2"}, "first_name: is not a valid name"),
        ({"city": ""}, "city: is empty or longer than 256"),
        ({"city": "x" * 257}, "city: is empty or longer than 256"),
        ({"gender": "other"}, "gender: is not a valid gender"),
        ({"street_number": "12"}, "street_number: is not a 32-bit integer"),
        ({"street_number": 1.5}, "street_number: is not a 32-bit integer"),
        ({"street_number": True}, "street_number: is not a 32-bit integer"),
        ({"street_number": 2**31}, "street_number: is not a 32-bit integer"),
        ({"postcode": "ab-1"}, "postcode: is not a valid postcode"),
        ({"email": "no-at-sign.example.com"}, "email: is not a valid email"),
        ({"username": "UPPER"}, "username: is not a valid username"),
        ({"phone": "call me"}, "phone: is not a valid phone"),
        ({"phone": "(12) ....."}, "phone: is not a valid phone"),
        ({"picture": "http://images.example.com/a.jpg"}, "picture: is not a valid url"),
        ({"picture": "https://localhost/a.jpg"}, "picture: is not a valid url"),
        ({"dob": "1990-02-30"}, "dob: is not a YYYY-MM-DD date"),
        ({"dob": "17/05/1990"}, "dob: is not a YYYY-MM-DD date"),
        ({"event_time": "2025-01-31T12:00:00Z"}, "event_time: is not an ISO-8601 UTC timestamp"),
        ({"registered_at": "2015-13-01T10:20:30.456Z"}, "registered_at: is not an ISO-8601 UTC timestamp"),
        ({"dob": "2015-01-01"}, "dob: age 10.08 years is outside 18..90"),
        ({"dob": "1900-01-01"}, "dob: age 125.08 years is outside 18..90"),
        ({"registered_at": "2026-01-01T00:00:00.000Z"}, "registered_at: is after event_time"),
        ({"street_number": 0}, "street_number: is outside 1..99999"),
        ({"street_number": 100_000}, "street_number: is outside 1..99999"),
    ],
)
def test_each_rule(
    kinds: dict[str, str], user: dict[str, Any], change: dict[str, Any], expected: str
) -> None:
    user.update(change)
    problems = validate_user(user, kinds)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_registered_before_birth(kinds: dict[str, str], user: dict[str, Any]) -> None:
    user["registered_at"] = "1980-01-01T00:00:00.000Z"
    assert "registered_at: is not after dob" in validate_user(user, kinds)


def test_missing_null_and_unknown_fields(kinds: dict[str, str], user: dict[str, Any]) -> None:
    del user["email"]
    user["city"] = None
    user["nickname"] = "z"
    assert sorted(validate_user(user, kinds)) == [
        "city: is missing",
        "email: is missing",
        "nickname: is not a field of the contract",
    ]


@pytest.mark.parametrize("value", [[], "text", 3, None])
def test_not_an_object(kinds: dict[str, str], value: Any) -> None:
    assert validate_user(value, kinds) == ["record is not an object"]
