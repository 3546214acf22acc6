"""The users record contract on the Spark side.

The field list and Spark types come from contracts/users.spark.json, every rule and message from
contracts/users.rules.json: both generated from contracts/ (users.ts, rules.ts), the same data
contracts/validate.ts interprets. Nothing here restates a rule; `validate_user` interprets them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import regex

from .artifacts import artifact_path

SCHEMA_FILE = "users.spark.json"
RULES_FILE = "users.rules.json"

# The rules' patterns use the syntax JavaScript, `regex` and Java read alike (see contracts/rules.ts).
# The `regex` module carries its own Unicode tables, pinned to the version of Node 20's regular
# expressions (see spark/requirements.txt), whatever the Python (the job image's 3.10 has Unicode
# 13); patterns without a Unicode property take the faster `re`.
_non_digit = re.compile(r"[^0-9]")
# A lone UTF-16 surrogate (JSON "\ud83d" decodes to one): not Unicode text.
_surrogate = re.compile("[\ud800-\udfff]")
_placeholder = re.compile(r"\{(\w+)\}")

_DAY_MILLISECONDS = 86_400_000
_YEAR_MILLISECONDS = 365.25 * _DAY_MILLISECONDS
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1)  # naive: the text's "Z" (UTC) is cut before parsing
_MILLISECOND = timedelta(milliseconds=1)


@cache
def load_rules() -> dict[str, Any]:
    """contracts/users.rules.json: every rule and message of the users record."""
    with open(artifact_path(RULES_FILE), encoding="utf-8") as handle:
        rules: dict[str, Any] = json.load(handle)
    return rules


_property = re.compile(r"\\p\{\w+\}")


def _ascii_pattern(pattern: str) -> str:
    """`pattern` with each Unicode property narrowed to its ASCII members (a class outside a class)."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        match = _property.match(pattern, index)
        if match:
            prop = regex.compile(match.group())
            members = "".join(re.escape(chr(code)) for code in range(128) if prop.fullmatch(chr(code)))
            out.append(members if in_class else f"[{members}]" if members else "(?!)")
            index = match.end()
            continue
        character = pattern[index]
        step = 2 if character == "\\" else 1
        if character == "[":
            in_class = True
        elif character == "]":
            in_class = False
        out.append(pattern[index : index + step])
        index += step
    return "".join(out)


def _whole_value(pattern: str) -> Callable[[str], object]:
    """`fullmatch` of a rules pattern (`regex` when it uses a Unicode property, else `re`).

    With a Unicode property, an ASCII value takes the same pattern with each property narrowed to
    its ASCII members (derived here, with `re`: faster than `regex` on the job's hot path); any
    other value takes `regex`.
    """
    if not _property.search(pattern):
        return re.compile(pattern).fullmatch
    full = regex.compile(pattern).fullmatch
    ascii_only = re.compile(_ascii_pattern(pattern)).fullmatch

    def check(value: str) -> object:
        return (ascii_only if value.isascii() else full)(value)

    return check


def _fill(text: str, **values: object) -> str:
    """`text` with each `{name}` replaced by `values[name]`, as validate.ts's `fill`."""
    return _placeholder.sub(lambda match: str(values.get(match.group(1), match.group())), text)


RULES = load_rules()
MESSAGES: dict[str, str] = RULES["messages"]
MAXIMUM_STRING_LENGTH: int = RULES["strings"]["maxLength"]
REASON_VALUE_LENGTH: int = RULES["reasons"]["valueLength"]
MAXIMUM_NESTING: int = RULES["json"]["maxNesting"]
# What a reason shows as \uXXXX escapes (see contracts/rules.ts `reasons`).
_escaped_in_reasons = regex.compile(f"(?!{re.escape(RULES['reasons']['keep'])}){RULES['reasons']['escaped']}")
# Extra value formats of string fields (contracts/users.ts `format`).
FIELD_FORMATS: dict[str, str] = {
    field["name"]: field["format"] for field in RULES["fields"] if "format" in field
}


def contract_schema_path() -> Path:
    """users.spark.json: next to this package (the image copies it there) or in the repo's contracts/."""
    return artifact_path(SCHEMA_FILE)


def load_contract_schema(path: Path | None = None) -> dict[str, Any]:
    """The Spark StructType of a user, in its JSON form (`StructType.fromJson` takes it)."""
    with open(path or contract_schema_path(), encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def field_kinds(schema: dict[str, Any]) -> dict[str, str]:
    """Field name -> contract kind (uuid, string, int, date, timestamp), in wire order.

    From the rules; `schema` (the Spark StructType) must name the same fields in the same order.
    """
    kinds = {field["name"]: field["kind"] for field in RULES["fields"]}
    names = [entry["name"] for entry in schema["fields"]]
    if names != list(kinds):
        raise ValueError(f"the Spark schema's fields {names} are not the rules' fields {list(kinds)}")
    return kinds


_KINDS: dict[str, dict[str, Any]] = RULES["kinds"]
_date_pattern = _whole_value(_KINDS["date"]["pattern"])
_timestamp_pattern = _whole_value(_KINDS["timestamp"]["pattern"])


def _date_days(text: str) -> int | None:
    """Days since 1970-01-01 of a date of kind `date` (a real date, years 0001-9999), else None."""
    if not _date_pattern(text):
        return None
    try:
        return date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None


def _timestamp_milliseconds(text: str) -> int | None:
    """Milliseconds since the epoch of a time of kind `timestamp` (`…THH:MM:SS.sssZ`), else None.

    Exactly JavaScript's Date.parse value, with C-speed parsing (this runs 4 times per record on
    the job's hot path). The "Z" is cut before `fromisoformat`, which takes it only from Python
    3.11 on (the job image runs 3.10); hour 24 is refused whatever the Python version.
    """
    if not _timestamp_pattern(text) or text[11:13] > "23":
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

    Its JSON form (compact, non-ASCII kept) with every character of the rules' `reasons.escaped`
    class but `reasons.keep` as \\uXXXX escapes (UTF-16 units, as JSON writes them), cut to
    `reasons.valueLength` code points.
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


def _format_check(rule: dict[str, Any]) -> Callable[[str], object]:
    """The check of one of the rules' formats: pattern, then allowed values, then digit count.

    A format with one condition is checked by a C-level callable (a compiled pattern's fullmatch,
    a frozenset's membership): this runs for 8 fields of every record on the job's hot path.
    """
    pattern = _whole_value(rule["pattern"]) if "pattern" in rule else None
    one_of = frozenset(rule["oneOf"]) if "oneOf" in rule else None
    min_digits: int | None = rule.get("minDigits")
    if one_of is None and min_digits is None and pattern is not None:
        return pattern
    if pattern is None and min_digits is None and one_of is not None:
        return one_of.__contains__

    def check(value: str) -> bool:
        return (
            (pattern is None or pattern(value) is not None)
            and (one_of is None or value in one_of)
            and (min_digits is None or len(_non_digit.sub("", value)) >= min_digits)
        )

    return check


_FORMAT_CHECKS: dict[str, Callable[[str], object]] = {
    name: _format_check(rule) for name, rule in RULES["formats"].items()
}

# Field kinds as small ints: the per-record loop below branches on them instead of calling one
# function per field (this loop runs once per record in the job's hot path).
_STRING, _INT, _UUID, _DATE, _TIMESTAMP = range(5)
_KIND_CODES = {"string": _STRING, "int": _INT, "uuid": _UUID, "date": _DATE, "timestamp": _TIMESTAMP}
_KIND_MESSAGES = {code: _KINDS[kind]["message"] for kind, code in _KIND_CODES.items()}
_INT_RANGE: dict[str, int] = _KINDS["int"]["integer"]
_uuid_pattern = _whole_value(_KINDS["uuid"]["pattern"])
_LENGTH_MESSAGE = _fill(MESSAGES["length"], maxLength=MAXIMUM_STRING_LENGTH)
_SURROGATE_MESSAGE = MESSAGES["loneSurrogate"]

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
                    _fill(MESSAGES["format"], format=fmt),
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
            return None if _INT_RANGE["min"] <= value <= _INT_RANGE["max"] else _KIND_MESSAGES[_INT]
        return _KIND_MESSAGES[_INT]
    if type(value) is str:
        if kind == _UUID:
            ok: object = _uuid_pattern(value)
        elif kind == _DATE:
            ok = _date_days(value) is not None
        else:
            ok = _timestamp_milliseconds(value) is not None
        if ok:
            return None
    return _KIND_MESSAGES[kind]


def _instant_of(record: dict[str, Any], kinds: dict[str, str]) -> Callable[[str], int]:
    """Epoch milliseconds of a valid date (its 00:00 UTC) or timestamp field, each parsed once."""
    cache: dict[str, int] = {}

    def instant(name: str) -> int:
        value = cache.get(name)
        if value is None:
            if kinds[name] == "date":
                value = _date_days(record[name]) * _DAY_MILLISECONDS  # type: ignore[operator]
            else:
                value = _timestamp_milliseconds(record[name])  # type: ignore[assignment]
            cache[name] = value  # type: ignore[assignment]
        return value  # type: ignore[return-value]

    return instant


def _record_rule_problem(
    rule: dict[str, Any], record: dict[str, Any], instant: Callable[[str], int]
) -> str | None:
    """The problem of one of the rules' `recordRules` (as validate.ts's recordRuleProblem), or None."""
    kind = rule["rule"]
    if kind == "yearsBetween":
        # Whole milliseconds and the same division as validate.ts, so both round alike at the bounds.
        years = (instant(rule["to"]) - instant(rule["from"])) / _YEAR_MILLISECONDS
        if years < rule["min"] or years > rule["max"]:
            return _fill(rule["message"], years=f"{years:.2f}", min=rule["min"], max=rule["max"])
        return None
    if kind == "after":
        return None if instant(rule["field"]) > instant(rule["than"]) else rule["message"]
    if kind == "notAfter":
        return None if instant(rule["field"]) <= instant(rule["than"]) else rule["message"]
    if kind == "range":
        value = record[rule["field"]]
        if value < rule["min"] or value > rule["max"]:
            return _fill(rule["message"], min=rule["min"], max=rule["max"])
        return None
    raise ValueError(f"unknown record rule {kind!r}")


def validate_user(value: object, kinds: dict[str, str]) -> list[str]:
    """Every problem of `value` against the rules (empty list: valid), worded like validate.ts."""
    if not isinstance(value, dict):
        return [MESSAGES["notObject"]]
    problems = (
        []
        if value.keys() <= kinds.keys()
        else [f"{name_for_reason(key)}: {MESSAGES['unknownField']}" for key in value if key not in kinds]
    )
    for name, kind, check, format_message in _plan_for(kinds):
        field_value = value.get(name)
        if field_value is None:
            problems.append(f"{name}: {MESSAGES['missing']}")
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
    instant = _instant_of(value, kinds)
    for rule in RULES["recordRules"]:
        problem = _record_rule_problem(rule, value, instant)
        if problem is not None:
            problems.append(f"{rule['field']}: {problem}")
    return problems
