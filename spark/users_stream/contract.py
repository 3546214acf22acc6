"""The users record contract on the Spark side.

The field list and Spark types come from contracts/users.spark.json (generated from
contracts/users.ts); `validate_user` mirrors contracts/validate.ts rule for rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import regex

SCHEMA_FILE = "users.spark.json"

# re.ASCII: \d is [0-9] as in JavaScript (Python's Unicode \d also takes other scripts' digits).
_uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_date = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_timestamp = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)
_email = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_username = re.compile(r"[a-z0-9._]{3,40}")
_phone = re.compile(r"[0-9+()\-. x]{7,30}")
_postcode = re.compile(r"[A-Z0-9][A-Z0-9 -]{1,9}")
# Letters of every script with their combining marks (Unicode categories L and M), as validate.ts's
# /^\p{L}[\p{L}\p{M}' .-]{0,63}$/u. The `regex` module carries its own Unicode tables, pinned to
# the version of Node 20's regular expressions (see spark/requirements.txt), whatever the Python
# (the job image's 3.10 has Unicode 13); ASCII names, the common case, take the equivalent `re`
# pattern (no ASCII character is in M).
_name_ascii = re.compile(r"[A-Za-z][A-Za-z' .-]{0,63}")
_name_unicode = regex.compile(r"\p{L}[\p{L}\p{M}' .-]{0,63}")
# validate.ts's url pattern: an https URL with a dotted host, ASCII, no spaces.
_url = re.compile(r"https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][\x21-\x7e]*)?")
_non_digit = re.compile(r"[^0-9]")
# A lone UTF-16 surrogate (JSON "\ud83d" decodes to one): not Unicode text, Cassandra cannot store it.
_surrogate = re.compile("[\ud800-\udfff]")
# What a reason shows as \uXXXX escapes (validate.ts escapedInReasons): marks, controls, format,
# surrogate, private-use, unassigned and separator characters but the ASCII space.
_escaped_in_reasons = regex.compile(r"(?! )[\p{M}\p{C}\p{Z}]")
REASON_VALUE_LENGTH = 80

MAXIMUM_STRING_LENGTH = 256
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
_DAY_SECONDS = 86_400
_DAY_MILLISECONDS = 86_400_000
_YEAR_MILLISECONDS = 365.25 * _DAY_MILLISECONDS
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1)  # naive: the text's "Z" (UTC) is cut before parsing
_MILLISECOND = timedelta(milliseconds=1)
GENDERS = ("female", "male")


def contract_schema_path() -> Path:
    """users.spark.json: next to this package (the image copies it there) or in the repo's contracts/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / SCHEMA_FILE, here.parent.parent / "contracts" / SCHEMA_FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{SCHEMA_FILE} not found next to {here} nor in the repository's contracts/")


def load_contract_schema(path: Path | None = None) -> dict[str, Any]:
    """The Spark StructType of a user, in its JSON form (`StructType.fromJson` takes it)."""
    with open(path or contract_schema_path(), encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def field_kinds(schema: dict[str, Any]) -> dict[str, str]:
    """Field name -> contract kind (uuid, string, int, date, timestamp), in wire order."""
    kinds: dict[str, str] = {}
    for entry in schema["fields"]:
        spark_type = entry["type"]
        if entry["name"] == "id":
            kinds[entry["name"]] = "uuid"
        elif spark_type == "integer":
            kinds[entry["name"]] = "int"
        elif spark_type in ("string", "date", "timestamp"):
            kinds[entry["name"]] = spark_type
        else:
            raise ValueError(f"unsupported Spark type {spark_type!r} of field {entry['name']}")
    return kinds


# Extra value formats of string fields (contracts/users.ts `format`).
FIELD_FORMATS: dict[str, str] = {
    "first_name": "name",
    "last_name": "name",
    "gender": "gender",
    "postcode": "postcode",
    "email": "email",
    "username": "username",
    "phone": "phone",
    "picture": "url",
}


def _date_days(text: str) -> int | None:
    """Days since 1970-01-01 of a `YYYY-MM-DD` date (years 0001-9999), None when it is not one."""
    if not _date.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None


def _timestamp_milliseconds(text: str) -> int | None:
    """Milliseconds since the epoch of a `YYYY-MM-DDTHH:MM:SS.sssZ` time, None when it is not one.

    Exactly JavaScript's Date.parse value, with C-speed parsing (this runs 4 times per record on
    the job's hot path). The "Z" is cut before `fromisoformat`, which takes it only from Python
    3.11 on (the job image runs 3.10); hour 24 is refused whatever the Python version.
    """
    if not _timestamp.fullmatch(text) or text[11:13] > "23":
        return None
    try:
        moment = datetime.fromisoformat(text[:-1])
    except ValueError:
        return None
    return (moment - _EPOCH) // _MILLISECOND


def _utf16_escapes(character: str) -> str:
    code = ord(character)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def quote_for_reason(value: object) -> str:
    """A value as quoted in a reason, the same text as validate.ts's quoteForReason.

    Its JSON form (compact, non-ASCII kept) with every mark, control, format, surrogate,
    private-use, unassigned or separator character but the ASCII space as \\uXXXX escapes (UTF-16
    units, as JSON writes them), cut to 80 code points.
    """
    if isinstance(value, float) and not math.isfinite(value):
        text = "null"  # JSON.stringify(Infinity)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            text = json.dumps(str(value), ensure_ascii=False)
    escaped = _escaped_in_reasons.sub(lambda match: _utf16_escapes(match.group()), text)
    return escaped[:REASON_VALUE_LENGTH]


def name_for_reason(name: str) -> str:
    """A field name as shown in a reason: `quote_for_reason` without the quotes."""
    text = quote_for_reason(name)[1:]
    return text[:-1] if text.endswith('"') else text


def _js_length(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript's String.length counts."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _valid_name(value: str) -> object:
    return (_name_ascii if value.isascii() else _name_unicode).fullmatch(value)


def _valid_phone(value: str) -> bool:
    return _phone.fullmatch(value) is not None and len(_non_digit.sub("", value)) >= 3


_FORMAT_CHECKS: dict[str, Callable[[str], object]] = {
    "name": _valid_name,
    "gender": frozenset(GENDERS).__contains__,
    "postcode": _postcode.fullmatch,
    "email": _email.fullmatch,
    "username": _username.fullmatch,
    "phone": _valid_phone,
    "url": _url.fullmatch,
}

# Field kinds as small ints: the per-record loop below branches on them instead of calling one
# function per field (this loop runs once per record in the job's hot path).
_STRING, _INT, _UUID, _DATE, _TIMESTAMP = range(5)
_KIND_CODES = {"string": _STRING, "int": _INT, "uuid": _UUID, "date": _DATE, "timestamp": _TIMESTAMP}
_KIND_MESSAGES = {
    _STRING: "is not a string",
    _INT: "is not a 32-bit integer",
    _UUID: "is not a lower-case UUID",
    _DATE: "is not a YYYY-MM-DD date",
    _TIMESTAMP: "is not an ISO-8601 UTC timestamp with milliseconds",
}
_LENGTH_MESSAGE = f"is empty or longer than {MAXIMUM_STRING_LENGTH}"
_SURROGATE_MESSAGE = "is not valid Unicode text (lone surrogate)"

# (name, kind code, format check or None, message when the format check fails)
Plan = tuple[tuple[str, int, "Callable[[str], object] | None", str], ...]
_compiled: dict[tuple[tuple[str, str], ...], Plan] = {}


def _plan_for(kinds: dict[str, str]) -> Plan:
    key = tuple(kinds.items())
    plan = _compiled.get(key)
    if plan is None:
        steps = []
        for name, kind in key:
            if kind not in _KIND_CODES:
                raise ValueError(f"unknown kind {kind}")
            fmt = FIELD_FORMATS.get(name)
            steps.append(
                (
                    name,
                    _KIND_CODES[kind],
                    _FORMAT_CHECKS[fmt] if fmt is not None else None,
                    f"is not a valid {fmt}",
                )
            )
        plan = tuple(steps)
        _compiled[key] = plan
    return plan


def _field_problem(
    kind: int, check: Callable[[str], object] | None, format_message: str, value: object
) -> str | None:
    """The problem of one present field value, or None when it is valid (see `validate_user`)."""
    if kind == _STRING:
        if type(value) is not str:
            return _KIND_MESSAGES[_STRING]
        if _surrogate.search(value):
            return _SURROGATE_MESSAGE
        length = len(value) if value.isascii() else _js_length(value)
        if length == 0 or length > MAXIMUM_STRING_LENGTH:
            return _LENGTH_MESSAGE
        return format_message if check is not None and not check(value) else None
    if kind == _INT:
        # JSON numbers: 5 and 5.0 are the same number (Number.isInteger(5.0) is true).
        if type(value) is int or (type(value) is float and value.is_integer()):
            return None if INT_MIN <= value <= INT_MAX else _KIND_MESSAGES[_INT]
        return _KIND_MESSAGES[_INT]
    if type(value) is str:
        if kind == _UUID:
            ok: object = _uuid.fullmatch(value)
        elif kind == _DATE:
            ok = _date_days(value) is not None
        else:
            ok = _timestamp_milliseconds(value) is not None
        if ok:
            return None
    return _KIND_MESSAGES[kind]


def validate_user(value: object, kinds: dict[str, str]) -> list[str]:
    """Every problem of `value` against the contract (empty list: valid), worded like validate.ts."""
    if not isinstance(value, dict):
        return ["record is not an object"]
    problems = (
        []
        if value.keys() <= kinds.keys()
        else [f"{name_for_reason(key)}: is not a field of the contract" for key in value if key not in kinds]
    )
    for name, kind, check, format_message in _plan_for(kinds):
        field_value = value.get(name)
        if field_value is None:
            problems.append(f"{name}: is missing")
            continue
        # Inline fast path for the common case (a valid ASCII string), the checker for the rest.
        if (
            kind == _STRING
            and type(field_value) is str
            and field_value.isascii()
            and 0 < len(field_value) <= MAXIMUM_STRING_LENGTH
            and (check is None or check(field_value))
        ):
            continue
        problem = _field_problem(kind, check, format_message, field_value)
        if problem is not None:
            problems.append(f"{name}: {problem} ({quote_for_reason(field_value)})")
    if problems:
        return problems
    # Whole milliseconds and the same division as validate.ts, so both round alike at the bounds.
    event_time: int = _timestamp_milliseconds(value["event_time"])  # type: ignore[assignment]
    registered_at: int = _timestamp_milliseconds(value["registered_at"])  # type: ignore[assignment]
    birth = _date_days(value["dob"]) * _DAY_MILLISECONDS  # type: ignore[operator]
    age_years = (event_time - birth) / _YEAR_MILLISECONDS
    if age_years < 18 or age_years > 90:
        problems.append(f"dob: age {age_years:.2f} years is outside 18..90")
    if not registered_at > birth:
        problems.append("registered_at: is not after dob")
    if not registered_at <= event_time:
        problems.append("registered_at: is after event_time")
    if value["street_number"] < 1 or value["street_number"] > 99_999:
        problems.append("street_number: is outside 1..99999")
    return problems
