"""Decoding and validation of Kafka record values: the Python reference of the job's JVM validator.

The job runs spark/validator (Java, in the executor JVMs); this module states the same outcome in
Python, and spark/tests/test_jvm_validator.py / test_jvm_avro.py compare the two record for record.

A record is either a valid user (a tuple of the contract's fields, ready for Cassandra) or a
rejection reason for the dead-letter topic. Nothing here raises on bad data; only an unreachable
Schema Registry raises (that is an outage, not bad data: the batch is retried).
"""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from operator import itemgetter
from typing import Any
from uuid import UUID

from .contract import MAXIMUM_NESTING, validate_user

CONFLUENT_MAGIC_BYTE = 0
WIRE_HEADER_BYTES = 5


class RegistryUnavailable(Exception):
    """The Schema Registry did not answer (network error or 5xx): retry, do not dead-letter."""


@dataclass(frozen=True)
class DecoderSettings:
    """What a decoder needs; picklable, shipped to the executors with the batch function."""

    record_format: str
    kinds: tuple[tuple[str, str], ...]
    max_record_bytes: int
    schema_registry_url: str | None = None


@dataclass(frozen=True)
class Decoded:
    """One record's outcome: `values` (contract field order) when valid, else `reason`."""

    values: tuple[Any, ...] | None
    reason: str | None


SchemaFetcher = Callable[[int], "dict[str, Any] | None"]


def registry_fetcher(url: str, timeout: float = 10.0) -> SchemaFetcher:
    """Fetches a writer schema by id from a Confluent-compatible registry; None when the id is unknown."""

    def fetch(schema_id: int) -> dict[str, Any] | None:
        request = urllib.request.Request(
            f"{url}/schemas/ids/{schema_id}",
            headers={"Accept": "application/vnd.schemaregistry.v1+json, application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise RegistryUnavailable(
                f"schema registry {url}: HTTP {error.code} for schema id {schema_id}"
            ) from error
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise RegistryUnavailable(f"schema registry {url} unreachable: {error}") from error
        schema = body.get("schema") if isinstance(body, dict) else None
        if not isinstance(schema, str):
            return None
        parsed: dict[str, Any] = json.loads(schema)
        return parsed

    return fetch


def _timestamp_text(value: datetime) -> str:
    # Not strftime: "%Y" does not pad years below 1000 to four digits on Linux.
    value = value.astimezone(timezone.utc)
    return f"{value.date().isoformat()}T{value:%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def _json_form(record: dict[str, Any]) -> dict[str, Any]:
    """Avro logical values (UUID, date, datetime) in their JSON form, so one validator serves both."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, UUID):
            out[key] = str(value)
        elif isinstance(value, datetime):
            out[key] = _timestamp_text(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


# A reason travels as a dead letter's header: thousands of unknown keys must not make it larger
# than the record (it could then no longer be dead-lettered).
REASON_MAX_CHARACTERS = 4_096


def bounded_reason(reason: str) -> str:
    """`reason` cut to REASON_MAX_CHARACTERS, saying how long it was."""
    suffix = f"... (reason cut, {len(reason)} characters)"
    return reason[: REASON_MAX_CHARACTERS - len(suffix)] + suffix


def describe_error(error: BaseException) -> str:
    """`Type: message` of an exception, in one line of valid UTF-8 (lone surrogates escaped)."""
    text = " ".join(f"{type(error).__name__}: {error}".split())[:300]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# Arrays and objects nest at most MAXIMUM_NESTING levels deep in a record value (contracts/rules.ts
# `json.maxNesting`; a user nests 1 level). Python's json recursion limit depends on the caller's
# stack depth, JSON.parse has none: one fixed bound gives the job and validate.ts the same verdict,
# and keeps the parser's recursion small.
# One left-to-right pass: a string (closed or not, escapes included) or a bracket. An unterminated
# string matches to the end once, so the scan stays linear (a pattern for closed strings alone was
# retried from every escaped quote: 8 s for a 64 KiB record).
_json_token = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count).

    Cheap for a record: the bracket count bounds the depth, so the scan only runs on texts with
    more brackets than MAXIMUM_NESTING.
    """
    if text.count("{") + text.count("[") <= MAXIMUM_NESTING:
        return 0
    depth = deepest = 0
    for token in _json_token.finditer(text):
        bracket = token.group()
        if bracket == "[" or bracket == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif bracket == "]" or bracket == "}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> object:
    # Python's json takes NaN, Infinity and -Infinity; JSON (and JSON.parse) does not.
    raise ValueError(f"{name} is not a JSON number")


def _json_int(text: str) -> object:
    # JavaScript reads every JSON number as a double; Python reads integers exactly, and refuses to
    # convert one of more than 4,300 digits (ValueError). Past 18 digits a double gives the same
    # verdict as validate.ts (out of range) at any length.
    return int(text) if len(text) <= 18 else float(text)


# One decoder for every record: json.loads with hooks would build a new one per call.
_JSON = json.JSONDecoder(parse_constant=_refuse_constant, parse_int=_json_int)


class RecordDecoder:
    """Decodes and validates values of one topic (JSON, or Avro in Confluent wire format)."""

    def __init__(self, settings: DecoderSettings, fetch_schema: SchemaFetcher | None = None) -> None:
        self.settings = settings
        self.kinds = dict(settings.kinds)
        self.names = tuple(self.kinds)
        self._values_of = itemgetter(*self.names)
        self._schemas: dict[int, Any] = {}
        self._unknown: set[int] = set()
        if fetch_schema is None and settings.schema_registry_url:
            fetch_schema = registry_fetcher(settings.schema_registry_url)
        self._fetch_schema = fetch_schema

    def decode(self, value: bytes | None) -> Decoded:
        """Decodes, validates and converts one Kafka value; never raises on bad data.

        Only an outage (RegistryUnavailable) propagates. Anything else that goes wrong on a record
        is a rejection of that record with the error as its reason: one bad record must never
        fail the batch (the batch would be retried, fail again and stop the pipeline).
        """
        try:
            outcome = self._decode(value)
        except RegistryUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - a poison record becomes a dead letter, never a crash
            return Decoded(None, f"poison: the decoder failed on this record: {describe_error(error)}")
        if outcome.reason is not None and len(outcome.reason) > REASON_MAX_CHARACTERS:
            return Decoded(None, bounded_reason(outcome.reason))
        return outcome

    def _decode(self, value: bytes | None) -> Decoded:
        if value is None or len(value) == 0:
            return Decoded(None, "empty: the record has no value")
        if len(value) > self.settings.max_record_bytes:
            return Decoded(
                None,
                f"oversize: {len(value)} bytes is more than "
                f"MAX_RECORD_BYTES={self.settings.max_record_bytes}",
            )
        if self.settings.record_format == "avro":
            record, reason = self._parse_avro(value)
        else:
            record, reason = self._parse_json(value)
        if reason is not None:
            return Decoded(None, reason)
        problems = validate_user(record, self.kinds)
        if problems:
            return Decoded(None, "invalid: " + "; ".join(problems))
        assert isinstance(record, dict)
        return Decoded(self._values_of(record), None)

    @staticmethod
    def _parse_json(value: bytes) -> tuple[object, str | None]:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, f"unparsable: not UTF-8 ({error.reason} at byte {error.start})"
        if text.startswith("\ufeff"):
            return None, "unparsable: not JSON (starts with a byte order mark)"
        if nesting_depth(text) > MAXIMUM_NESTING:
            return None, f"unparsable: not JSON (nested deeper than {MAXIMUM_NESTING} levels)"
        try:
            return _JSON.decode(text), None
        except json.JSONDecodeError as error:
            return None, f"unparsable: not JSON ({error.msg} at character {error.pos})"
        except RecursionError:
            return None, "unparsable: not JSON (nested too deeply)"
        except ValueError as error:
            return None, f"unparsable: not JSON ({error})"

    def _parse_avro(self, value: bytes) -> tuple[object, str | None]:
        from fastavro import parse_schema, schemaless_reader

        if len(value) < WIRE_HEADER_BYTES or value[0] != CONFLUENT_MAGIC_BYTE:
            return (
                None,
                f"unparsable: not Confluent wire format (first byte 0x{value[0]:02x}, {len(value)} bytes)",
            )
        schema_id = int.from_bytes(value[1:WIRE_HEADER_BYTES], "big")
        schema = self._schemas.get(schema_id)
        if schema is None:
            if schema_id in self._unknown or self._fetch_schema is None:
                return None, f"unknown schema id {schema_id}"
            raw = self._fetch_schema(schema_id)
            if raw is None:
                self._unknown.add(schema_id)
                return None, f"unknown schema id {schema_id}"
            try:
                schema = parse_schema(raw)
            except Exception as error:  # noqa: BLE001 - any schema the registry holds but fastavro refuses
                self._unknown.add(schema_id)
                return None, f"unusable schema id {schema_id}: {error}"
            self._schemas[schema_id] = schema
        stream = io.BytesIO(value)
        stream.seek(WIRE_HEADER_BYTES)
        try:
            record = schemaless_reader(stream, schema, None)
        except Exception as error:  # noqa: BLE001 - fastavro raises many types on corrupt input
            return (
                None,
                f"unparsable: Avro payload does not match schema id {schema_id} ({type(error).__name__})",
            )
        if stream.tell() != len(value):
            return None, f"unparsable: {len(value) - stream.tell()} trailing bytes after the Avro record"
        if not isinstance(record, dict):
            return None, "invalid: record is not an object"
        return _json_form(record), None
