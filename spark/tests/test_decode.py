"""RecordDecoder: JSON and Confluent Avro, each kind of bad record gets its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import avro_bytes, avro_schema, json_bytes, make_user, settings_for

from users_stream.decode import RecordDecoder, RegistryUnavailable


def json_decoder(kinds: dict[str, str], max_bytes: int = 65_536) -> RecordDecoder:
    return RecordDecoder(settings_for(kinds, "json", max_bytes))


def avro_decoder(kinds: dict[str, str], schemas: dict[int, dict[str, Any]]) -> RecordDecoder:
    return RecordDecoder(settings_for(kinds, "avro"), fetch_schema=schemas.get)


def test_valid_json_gives_the_fields_in_contract_order(kinds: dict[str, str], user: dict[str, Any]) -> None:
    outcome = json_decoder(kinds).decode(json_bytes(user))
    assert outcome.reason is None
    assert outcome.values == tuple(user[name] for name in kinds)


def test_valid_avro_gives_the_same_fields_as_json(kinds: dict[str, str], user: dict[str, Any]) -> None:
    outcome = avro_decoder(kinds, {7: avro_schema()}).decode(avro_bytes(user, schema_id=7))
    assert outcome.reason is None
    assert outcome.values == tuple(user[name] for name in kinds)


BAD_JSON: list[tuple[str, bytes, str]] = [
    ("empty", b"", "empty:"),
    ("not json", b"{not json", "unparsable: not JSON"),
    ("truncated", json_bytes(make_user())[:-5], "unparsable: not JSON"),
    ("not utf-8", b'{"id": "\xff\xfe"}', "unparsable: not UTF-8"),
    ("array", b"[1, 2]", "invalid: record is not an object"),
    (
        "missing field",
        json_bytes({k: v for k, v in make_user().items() if k != "email"}),
        "invalid: email: is missing",
    ),
    ("null field", json_bytes({**make_user(), "city": None}), "invalid: city: is missing"),
    (
        "wrong type",
        json_bytes({**make_user(), "street_number": "7"}),
        "invalid: street_number: is not a 32-bit",
    ),
    ("bad uuid", json_bytes({**make_user(), "id": "123"}), "invalid: id: is not a lower-case UUID"),
    ("bad date", json_bytes({**make_user(), "dob": "1990-13-01"}), "invalid: dob: is not a YYYY-MM-DD date"),
    ("bad email", json_bytes({**make_user(), "email": "x@"}), "invalid: email: is not a valid email"),
    (
        "unknown field",
        json_bytes({**make_user(), "extra": 1}),
        "invalid: extra: is not a field of the contract",
    ),
    ("cross-field", json_bytes({**make_user(), "dob": "2020-01-01"}), "invalid: dob: age"),
]


@pytest.mark.parametrize(("kind", "value", "reason"), BAD_JSON, ids=[case[0] for case in BAD_JSON])
def test_bad_json_records_get_a_reason(kinds: dict[str, str], kind: str, value: bytes, reason: str) -> None:
    outcome = json_decoder(kinds).decode(value)
    assert outcome.values is None, kind
    assert outcome.reason is not None and outcome.reason.startswith(reason), outcome.reason


def test_none_value_is_empty(kinds: dict[str, str]) -> None:
    assert json_decoder(kinds).decode(None).reason == "empty: the record has no value"


def test_oversize_is_rejected_before_parsing(kinds: dict[str, str], user: dict[str, Any]) -> None:
    value = json_bytes({**user, "city": "x" * 2000})
    outcome = json_decoder(kinds, max_bytes=1024).decode(value)
    assert outcome.reason == f"oversize: {len(value)} bytes is more than MAX_RECORD_BYTES=1024"


def test_avro_not_wire_format(kinds: dict[str, str], user: dict[str, Any]) -> None:
    outcome = avro_decoder(kinds, {1: avro_schema()}).decode(json_bytes(user))
    assert outcome.reason is not None and outcome.reason.startswith("unparsable: not Confluent wire format")
    assert avro_decoder(kinds, {}).decode(b"\x00\x01").reason is not None


def test_avro_unknown_schema_id_is_asked_once(kinds: dict[str, str], user: dict[str, Any]) -> None:
    asked: list[int] = []

    def fetch(schema_id: int) -> dict[str, Any] | None:
        asked.append(schema_id)
        return None

    decoder = RecordDecoder(settings_for(kinds, "avro"), fetch_schema=fetch)
    for _ in range(3):
        assert decoder.decode(avro_bytes(user, schema_id=99)).reason == "unknown schema id 99"
    assert asked == [99]


def test_avro_corrupt_payload(kinds: dict[str, str], user: dict[str, Any]) -> None:
    value = avro_bytes(user, schema_id=1)
    outcome = avro_decoder(kinds, {1: avro_schema()}).decode(value[:40])
    assert outcome.reason is not None and outcome.reason.startswith("unparsable: Avro payload does not match")


def test_avro_trailing_bytes(kinds: dict[str, str], user: dict[str, Any]) -> None:
    value = avro_bytes(user, schema_id=1) + b"\x00\x00"
    outcome = avro_decoder(kinds, {1: avro_schema()}).decode(value)
    assert outcome.reason == "unparsable: 2 trailing bytes after the Avro record"


def test_avro_other_schema_is_validated_against_the_contract(kinds: dict[str, str]) -> None:
    other = {"type": "record", "name": "Other", "fields": [{"name": "id", "type": "string"}]}
    value = avro_bytes({"id": "x"}, schema_id=5, schema=other)
    outcome = avro_decoder(kinds, {5: other}).decode(value)
    assert outcome.reason is not None and outcome.reason.startswith("invalid: id: is not a lower-case UUID")
    assert "first_name: is missing" in outcome.reason


def test_avro_invalid_values(kinds: dict[str, str], user: dict[str, Any]) -> None:
    user["gender"] = "unknown"
    outcome = avro_decoder(kinds, {1: avro_schema()}).decode(avro_bytes(user))
    assert outcome.reason is not None and outcome.reason.startswith("invalid: gender: is not a valid gender")


def test_registry_outage_raises_instead_of_dead_lettering(
    kinds: dict[str, str], user: dict[str, Any]
) -> None:
    settings = settings_for(kinds, "avro")
    decoder = RecordDecoder(
        type(settings)(
            record_format="avro",
            kinds=settings.kinds,
            max_record_bytes=settings.max_record_bytes,
            schema_registry_url="http://127.0.0.1:9",
        )
    )
    with pytest.raises(RegistryUnavailable):
        decoder.decode(avro_bytes(user))


def test_reason_is_json_safe(kinds: dict[str, str]) -> None:
    outcome = json_decoder(kinds).decode(json_bytes({**make_user(), "first_name": '"; DROP'}))
    assert outcome.reason is not None
    json.dumps(outcome.reason)
