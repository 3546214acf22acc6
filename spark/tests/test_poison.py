"""No record can stop the job (issue 11): the decoder gives every Kafka value a row or a reason.

Property tests (hypothesis) feed the decoder arbitrary bytes, arbitrary JSON documents and valid
users with one to three mutations each (a field replaced by any JSON value or by tricky text, a
field deleted or null, an unknown key, duplicate keys, NaN, 5,000-digit integers, nesting at the
limit, a BOM, truncated bytes...). Every outcome must be a `Decoded` with exactly one of values
and reason, never an exception; a reason must be UTF-8 text (it becomes a Kafka header and a log
line) and must not be the decoder's own catch-all (`poison: the decoder failed ...`), which would
mean that some check raised; the strings of a valid row must be UTF-8 text (Cassandra stores
them). This is the Python reference decoder; spark/tests/test_jvm_validator.py holds the job's
JVM validator to it, outcome for outcome.

Each property runs POISON_EXAMPLES examples (default 1,500); `pytest -s` prints how many each one ran,
`--hypothesis-show-statistics` adds the mix of outcomes (valid, invalid, unparsable, ...).
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from conftest import avro_bytes, avro_schema, json_bytes, make_user, settings_for
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from users_stream.contract import FIELD_FORMATS, field_kinds, load_contract_schema, name_for_reason
from users_stream.decode import (
    MAXIMUM_NESTING,
    Decoded,
    RecordDecoder,
)

KINDS = field_kinds(load_contract_schema())
SETTINGS = settings_for(KINDS)
MAX_RECORD_BYTES = SETTINGS.max_record_bytes
DECODER = RecordDecoder(SETTINGS)
# The same rules with a tiny size limit: most values are oversize there.
SMALL_LIMIT = 64
SMALL_DECODER = RecordDecoder(settings_for(KINDS, max_bytes=SMALL_LIMIT))
AVRO_SCHEMA_ID = 1
AVRO_DECODER = RecordDecoder(settings_for(KINDS, "avro"), fetch_schema={AVRO_SCHEMA_ID: avro_schema()}.get)
STRING_FIELDS = [name for name, kind in KINDS.items() if kind == "string"]
FREE_TEXT_FIELDS = [name for name in STRING_FIELDS if name not in FIELD_FORMATS]
REASON_PREFIXES = (
    "empty: ",
    "oversize: ",
    "unparsable: ",
    "invalid: ",
    "unknown schema id ",
    "unusable schema id ",
)
SURROGATE = re.compile("[\ud800-\udfff]")

EXAMPLES_PER_PROPERTY = int(os.environ.get("POISON_EXAMPLES", "1500"))
settings.register_profile(
    "poison",
    max_examples=EXAMPLES_PER_PROPERTY,
    deadline=None,
    # No example database: it would write .hypothesis/ into the checkout. A failure prints its
    # seed and a @reproduce_failure blob instead.
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
POISON = settings.get_profile("poison")

# Examples run per property (test bodies entered), printed at the end of the module.
EXAMPLES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_example_counts() -> Iterator[None]:
    """Prints how many generated cases each property ran (shown with `pytest -s`)."""
    yield
    if EXAMPLES:
        counts = ", ".join(f"{name} {count:,}" for name, count in EXAMPLES.items())
        print(f"\nhypothesis cases run per property (POISON_EXAMPLES={EXAMPLES_PER_PROPERTY}): {counts}")


def check_outcome(outcome: Decoded) -> str:
    """The invariants of every decoded record; returns the outcome's category for the statistics."""
    assert isinstance(outcome, Decoded)
    assert (outcome.values is None) != (outcome.reason is None), outcome
    if outcome.reason is not None:
        reason = outcome.reason
        reason.encode("utf-8")  # UnicodeEncodeError on a lone surrogate
        assert not reason.startswith("poison:"), f"a check raised inside the decoder: {reason}"
        assert reason.startswith(REASON_PREFIXES), reason
        assert "\n" not in reason and "\r" not in reason, reason  # one line in a header and a log
        return next(prefix for prefix in REASON_PREFIXES if reason.startswith(prefix)).rstrip(": ")
    assert outcome.values is not None and len(outcome.values) == len(KINDS)
    for value in outcome.values:
        if isinstance(value, str):
            value.encode("utf-8")
    return "valid"


# --- strategies -----------------------------------------------------------------------------------

# Pieces of text real producers send and validators get wrong.
TRICKY_PIECES = (
    "\u0301",  # combining acute accent (category M)
    "\u0308",  # combining diaeresis: "Zoe\u0308" is the decomposed (NFD) "Zoë"
    "Zoe\u0308",
    "\u092a\u094d\u0930\u093f\u092f\u093e",  # Devanagari "priya": consonants, virama, vowel signs (M)
    "\u200d",  # zero-width joiner
    "\U0001f469\u200d\U0001f4bb",  # an emoji ZWJ sequence
    "\ufeff",  # byte order mark (zero-width no-break space)
    "\u00a0",  # no-break space
    "\u2028",  # line separator
    "\u202e",  # right-to-left override
    "\ud83d",  # lone high surrogate: JSON.stringify of an emoji cut in half
    "\ude00",  # lone low surrogate
    "\U0001f600",
    "\x00",
    "\n",
    "\\",
    '"',
    '\\"',
    "[{",
    "[" * 16,
    "{" * 16,
    "]}",
    "O'Brien-Smith",
    " ",
    ".",
    "\u00e9",
    "NaN",
)
# st.characters() leaves the surrogates (category Cs) out unless asked for them.
ANY_CHARACTER = st.one_of(st.characters(), st.characters(categories=["Cs"]))
TRICKY_TEXT = st.lists(
    st.one_of(st.sampled_from(TRICKY_PIECES), st.text(ANY_CHARACTER, max_size=3)), min_size=1, max_size=6
).map("".join)
TEXT = st.one_of(st.text(max_size=12), st.text(ANY_CHARACTER, max_size=12), TRICKY_TEXT)
INTEGERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**100), max_value=10**100),
    st.sampled_from([0, -1, 1, 99_999, 100_000, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 10**18, 10**19]),
)
# Python's json writes NaN, Infinity and -Infinity for the non-finite floats: not JSON.
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, st.floats(), TEXT)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)),
    max_leaves=16,
)
RECORD_LIKE = st.dictionaries(st.one_of(st.sampled_from(list(KINDS)), TEXT), JSON_VALUES, max_size=20)


# Keys of deeply nested objects: brackets, quotes and backslashes inside strings must not count.
NESTING_KEYS = ("", "a", "[", "]", "{", "}", '"', "\\", '\\"', "[[{", "\ud83d")


@st.composite
def deeply_nested(draw: st.DrawFn) -> Any:
    """A scalar inside 1 to 70 arrays and objects (the limit is MAXIMUM_NESTING = 64)."""
    value = draw(SCALARS)
    for _ in range(draw(st.integers(min_value=1, max_value=70))):
        value = [value] if draw(st.booleans()) else {draw(st.sampled_from(NESTING_KEYS)): value}
    return value


JSON_DOCUMENTS = st.one_of(JSON_VALUES, RECORD_LIKE, deeply_nested())


def nesting(value: Any) -> int:
    """How deep arrays and objects nest in a Python JSON value."""
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


def has_non_finite(value: Any) -> bool:
    """True when a float NaN or infinity is anywhere in the value (json writes it as a literal)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(map(has_non_finite, value))
    if isinstance(value, dict):
        return any(map(has_non_finite, value.values()))
    return False


@dataclass
class Mutant:
    """A valid user after some mutations, and what the decoder must say about it."""

    value: bytes
    # "valid", "invalid" (with `needs` in the reason), "unparsable" or "unknown" (no prediction)
    verdict: str
    needs: list[str] = field(default_factory=list)
    expected_values: tuple[Any, ...] | None = None
    mutations: list[str] = field(default_factory=list)


MUTATIONS = (
    "json value",
    "tricky text",
    "delete",
    "null",
    "unknown key",
    "shadowed duplicate",
    "overriding duplicate",
    "non-finite",
    "huge integer",
    "nesting",
    "brackets in text",
    "integral float",
    "far dates",
    "bom",
    "json whitespace",
    "foreign whitespace",
    "truncate",
)
# Valid (dob, registered_at, event_time) triples at the ends of the years 0001-9999.
FAR_DATES = (
    ("0001-01-01", "0001-06-01T00:00:00.000Z", "0030-01-01T00:00:00.000Z"),
    ("0950-01-01", "0990-01-01T00:00:00.000Z", "0999-06-01T23:59:59.999Z"),
    ("9950-02-28", "9990-02-28T12:00:00.000Z", "9999-12-31T23:59:59.999Z"),
    ("2000-02-29", "2020-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000Z"),
)
FOREIGN_WHITESPACE = ("\u00a0", "\u2028", "\u3000", "\x0b", "\x0c", "\x85")


@st.composite
def mutated_users(draw: st.DrawFn) -> Mutant:
    """A valid user with 1 to 3 mutations, serialised with or without ASCII escapes."""
    user = make_user(draw(st.integers(min_value=0, max_value=5000)))
    ascii_only = draw(st.booleans())

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=ascii_only)

    # key -> (raw JSON text of its value, effect on the verdict, text the reason must contain)
    slots: dict[str, tuple[str, str, str | None]] = {
        name: (dumps(value), "valid", None) for name, value in user.items()
    }
    # (key, raw JSON text, effect) written just before the key's own entry: the later entry wins.
    shadowed: list[tuple[str, str, str]] = []
    prefix = suffix = ""
    separators = (",", ":")
    unparsable_text = truncate = False
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3))
    for mutation in mutations:
        name = draw(st.sampled_from(list(KINDS)))
        if mutation in ("json value", "overriding duplicate"):
            value = draw(JSON_VALUES)
            if mutation == "overriding duplicate" and name in slots:
                raw, effect, _ = slots[name]
                shadowed.append((name, raw, "unparsable" if effect == "unparsable" else "valid"))
            slots[name] = (dumps(value), "unparsable" if has_non_finite(value) else "unknown", None)
        elif mutation == "tricky text":
            name = draw(st.sampled_from(STRING_FIELDS))
            text = draw(TRICKY_TEXT)
            # As the job reads it: JSON decoding joins an escaped high and low surrogate into one
            # character (an emoji), so only a surrogate left alone after decoding is "lone".
            if SURROGATE.search(json.loads(dumps(text))):
                slots[name] = (dumps(text), "invalid", f"{name}: is not valid Unicode text (lone surrogate)")
            else:
                slots[name] = (dumps(text), "unknown", None)
        elif mutation == "delete":
            slots.pop(name, None)
            shadowed = [entry for entry in shadowed if entry[0] != name]
        elif mutation == "null":
            slots[name] = ("null", "invalid", f"{name}: is missing")
        elif mutation == "unknown key":
            key = draw(TEXT.filter(lambda text: text not in KINDS))
            value = draw(SCALARS)
            if has_non_finite(value):
                slots[key] = (dumps(value), "unparsable", None)
            else:
                slots[key] = (
                    dumps(value),
                    "invalid",
                    f"{name_for_reason(key)}: is not a field of the contract",
                )
        elif mutation == "shadowed duplicate":
            if name in slots:
                value = draw(JSON_VALUES)
                shadowed.append((name, dumps(value), "unparsable" if has_non_finite(value) else "valid"))
        elif mutation == "non-finite":
            slots[name] = (draw(st.sampled_from(["NaN", "Infinity", "-Infinity"])), "unparsable", None)
        elif mutation == "huge integer":
            # 4,300 to 5,500 digits (Python's int() refuses more than 4,300 digits).
            digits = (
                draw(st.sampled_from("123456789"))
                + "0" * draw(st.integers(min_value=4290, max_value=5490))
                + draw(st.text(alphabet="0123456789", max_size=10))
            )
            slots[name] = (draw(st.sampled_from(["", "-"])) + digits, "invalid", f"{name}: is not")
        elif mutation == "nesting":
            levels = draw(st.integers(min_value=MAXIMUM_NESTING - 3, max_value=MAXIMUM_NESTING + 3))
            if draw(st.booleans()):
                raw = "[" * levels + "]" * levels
            else:
                raw = '{"a":' * levels + "0" + "}" * levels
            # The record's own object is one level.
            too_deep = 1 + levels > MAXIMUM_NESTING
            slots[name] = (
                raw,
                "unparsable" if too_deep else "invalid",
                None if too_deep else f"{name}: is not",
            )
        elif mutation == "brackets in text":
            name = draw(st.sampled_from(FREE_TEXT_FIELDS))
            text = draw(st.text(alphabet='[]{}"\\ax', min_size=MAXIMUM_NESTING + 1, max_size=256))
            slots[name] = (dumps(text), "valid", None)  # brackets inside strings do not nest
        elif mutation == "integral float":
            number = user["street_number"]
            raw = draw(st.sampled_from([f"{number}.0", f"{number}e0", f"{number * 10}e-1", f"{number}.000"]))
            slots["street_number"] = (raw, "valid", None)
        elif mutation == "far dates":
            for key, text in zip(
                ("dob", "registered_at", "event_time"), draw(st.sampled_from(FAR_DATES)), strict=True
            ):
                slots[key] = (dumps(text), "valid", None)
        elif mutation == "bom":
            prefix = "\ufeff" + prefix
            unparsable_text = True
        elif mutation == "json whitespace":
            prefix += draw(st.text(alphabet=" \t\n\r", max_size=4))
            suffix += draw(st.text(alphabet=" \t\n\r", max_size=4))
            separators = (", ", ": ")
        elif mutation == "foreign whitespace":
            character = draw(st.sampled_from(FOREIGN_WHITESPACE))
            if draw(st.booleans()):
                prefix = character + prefix
            else:
                suffix += character
            unparsable_text = True
        elif mutation == "truncate":
            truncate = True

    entries: list[str] = []
    for key, (raw, _, _) in slots.items():
        entries += [
            f"{dumps(shadow_key)}{separators[1]}{shadow_raw}"
            for shadow_key, shadow_raw, _ in shadowed
            if shadow_key == key
        ]
        entries.append(f"{dumps(key)}{separators[1]}{raw}")
    text = prefix + "{" + separators[0].join(entries) + "}" + suffix
    value = text.encode("utf-8", "surrogatepass")
    if truncate:
        value = value[: draw(st.integers(min_value=1, max_value=value.rindex(b"}")))]

    effects = [effect for _, effect, _ in slots.values()] + [effect for _, _, effect in shadowed]
    needs = [need for _, effect, need in slots.values() if effect == "invalid" and need is not None]
    needs += [f"{name}: is missing" for name in KINDS if name not in slots]
    expected_values = None
    if unparsable_text or truncate or "unparsable" in effects or (not ascii_only and SURROGATE.search(text)):
        verdict = "unparsable"
    elif needs:
        verdict = "invalid"
    elif "unknown" in effects:
        verdict = "unknown"
    else:
        verdict = "valid"
        expected_values = tuple(json.loads(slots[name][0]) for name in KINDS)
    return Mutant(value, verdict, needs, expected_values, mutations)


def valid_users() -> st.SearchStrategy[bytes]:
    return st.integers(min_value=0, max_value=10_000).map(lambda index: json_bytes(make_user(index)))


# Shallow documents only: deep ones cost much to generate and add nothing to a batch's handling.
JSON_DOCUMENT_BYTES = st.tuples(st.one_of(JSON_VALUES, RECORD_LIKE), st.booleans()).map(
    lambda pair: json.dumps(pair[0], ensure_ascii=pair[1]).encode("utf-8", "surrogatepass")
)
ANY_VALUE = st.one_of(
    st.none(),
    st.binary(max_size=80),
    JSON_DOCUMENT_BYTES,
    mutated_users().map(lambda mutant: mutant.value),
    valid_users(),
)


# --- properties -----------------------------------------------------------------------------------


@POISON
@given(value=st.one_of(st.binary(max_size=300), st.binary(min_size=1, max_size=8).map(lambda b: b * 40)))
def test_any_bytes_give_a_row_or_a_reason(value: bytes) -> None:
    """Arbitrary bytes: a reason (empty, oversize, not UTF-8, not JSON, invalid), never an exception."""
    EXAMPLES["arbitrary bytes"] += 1
    outcome = DECODER.decode(value)
    event(check_outcome(outcome))
    if not value:
        assert outcome.reason == "empty: the record has no value"
    else:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            assert outcome.reason is not None and outcome.reason.startswith("unparsable: not UTF-8 (")
    small = SMALL_DECODER.decode(value)
    check_outcome(small)
    if len(value) > SMALL_LIMIT:
        assert small.reason == f"oversize: {len(value)} bytes is more than MAX_RECORD_BYTES={SMALL_LIMIT}"
    else:
        assert small == outcome


@st.composite
def avro_values(draw: st.DrawFn) -> bytes:
    """Confluent wire-format values: a known or unknown schema id, then garbage or a damaged record."""
    schema_id = draw(st.sampled_from([AVRO_SCHEMA_ID, AVRO_SCHEMA_ID, 2]))
    header = struct.pack(">bI", 0, schema_id)
    if draw(st.booleans()):
        return header + draw(st.binary(max_size=200))
    record = avro_bytes(make_user(draw(st.integers(min_value=0, max_value=1000))), schema_id=schema_id)
    position = draw(st.integers(min_value=5, max_value=len(record)))
    damage = draw(st.sampled_from(["flip", "cut", "insert", "append"]))
    if damage == "flip" and position < len(record):
        return (
            record[:position] + bytes([record[position] ^ draw(st.integers(1, 255))]) + record[position + 1 :]
        )
    if damage == "cut":
        return record[:position]
    if damage == "insert":
        return record[:position] + draw(st.binary(min_size=1, max_size=8)) + record[position:]
    return record + draw(st.binary(max_size=8))


@POISON
@given(value=st.one_of(avro_values(), st.binary(max_size=40)))
def test_any_avro_value_gives_a_row_or_a_reason(value: bytes) -> None:
    """Garbage and damaged records in Confluent Avro: a row or a reason, whatever fastavro makes of them."""
    EXAMPLES["avro values"] += 1
    event(check_outcome(AVRO_DECODER.decode(value)))


@POISON
@given(document=JSON_DOCUMENTS, ascii_only=st.booleans())
def test_any_json_document_gives_a_row_or_a_reason(document: Any, ascii_only: bool) -> None:
    """Any JSON document, as Python's json writes it (NaN literals, raw or escaped lone surrogates).

    Escaped (`\\ud83d`), a lone surrogate is JSON and reaches the validator; raw (written with
    'surrogatepass') it is not UTF-8. NaN and Infinity are not JSON; nesting deeper than 64 is
    refused before parsing; a document that is not an object is invalid.
    """
    EXAMPLES["json documents"] += 1
    text = json.dumps(document, ensure_ascii=ascii_only)
    value = text.encode("utf-8", "surrogatepass")
    outcome = DECODER.decode(value)
    event(check_outcome(outcome))
    reason = outcome.reason or ""
    if len(value) > MAX_RECORD_BYTES:
        assert reason.startswith("oversize: ")
    elif not ascii_only and SURROGATE.search(text):
        assert reason.startswith("unparsable: not UTF-8 ("), reason
    elif nesting(document) > MAXIMUM_NESTING:
        assert reason == f"unparsable: not JSON (nested deeper than {MAXIMUM_NESTING} levels)", reason
    elif has_non_finite(document):
        assert reason.startswith("unparsable: not JSON (") and "is not a JSON number" in reason, reason
    elif not isinstance(document, dict):
        assert reason == "invalid: record is not an object", reason
    else:
        assert outcome.values is not None or reason.startswith("invalid: "), reason


@POISON
@given(mutant=mutated_users())
def test_mutated_users_give_a_row_or_the_expected_reason(mutant: Mutant) -> None:
    """Valid users with 1-3 mutations: a row or a reason naming each field that broke.

    Deleted, null or surrogate-holding fields, unknown keys and 5,000-digit integers are named in
    an `invalid:` reason; NaN, nesting past 64 levels, a BOM, whitespace JSON does not allow and
    truncation give `unparsable:`; integral floats (42.0, 42e0), dates at the ends of 0001-9999,
    brackets inside strings and shadowed duplicate keys leave a valid user valid.
    """
    EXAMPLES["mutated users"] += 1
    outcome = DECODER.decode(mutant.value)
    category = check_outcome(outcome)
    event(category)
    for mutation in mutant.mutations:
        event(f"mutation: {mutation}")
    if mutant.verdict == "valid":
        assert outcome.values == mutant.expected_values, (mutant.mutations, outcome.reason)
    elif mutant.verdict == "unparsable":
        assert category == "unparsable", (mutant.mutations, outcome)
    elif mutant.verdict == "invalid":
        assert category == "invalid", (mutant.mutations, outcome)
        for need in mutant.needs:
            assert need in (outcome.reason or ""), (need, mutant.mutations, outcome.reason)


# --- the poison kinds of issue 11, one by one -------------------------------------------------------


def user_text(*pairs: tuple[str, str], ascii_only: bool = True) -> str:
    """A valid user's JSON text with (key, raw JSON text) pairs replacing or following its fields.

    A key already in the user is replaced in place, unless it is repeated in `pairs` (then every
    pair is written, the last one winning in JSON.parse and Python's json).
    """
    user = make_user()
    counts = Counter(key for key, _ in pairs)
    entries: list[tuple[str, str]] = []
    for key, value in user.items():
        replaced = [raw for name, raw in pairs if name == key]
        if replaced and counts[key] == 1:
            entries.append((key, replaced[0]))
        else:
            entries.append((key, json.dumps(value, ensure_ascii=ascii_only)))
            entries += [(key, raw) for raw in replaced]
    entries += [(key, raw) for key, raw in pairs if key not in user]
    return "{" + ",".join(f"{json.dumps(key, ensure_ascii=ascii_only)}:{raw}" for key, raw in entries) + "}"


def reason_of(value: bytes, decoder: RecordDecoder = DECODER) -> str:
    outcome = decoder.decode(value)
    assert check_outcome(outcome) != "valid", outcome
    assert outcome.reason is not None
    return outcome.reason


def test_a_lone_surrogate_in_a_valid_name_is_refused_with_an_escaped_reason() -> None:
    """`"first_name":"Ada\\ud83d"`, as JSON.stringify writes a name cut inside an emoji."""
    value = user_text(("first_name", '"Ada\\ud83d"')).encode()
    assert b"\\ud83d" in value
    assert (
        reason_of(value) == 'invalid: first_name: is not valid Unicode text (lone surrogate) ("Ada\\ud83d")'
    )


def test_a_lone_surrogate_in_an_invalid_field_and_in_a_key() -> None:
    """The surrogate is named in a field that is invalid anyway (email) and in an unknown key."""
    email = reason_of(user_text(("email", '"not-an-email\\udc00"')).encode())
    assert email == 'invalid: email: is not valid Unicode text (lone surrogate) ("not-an-email\\udc00")'
    key = reason_of(user_text(("nick\ud83d", "1")).encode())
    assert key == "invalid: nick\\ud83d: is not a field of the contract"
    # The same key written raw (CESU-8, what 'surrogatepass' writes) is not UTF-8 at all.
    raw = user_text(("nick\ud83d", "1"), ascii_only=False).encode("utf-8", "surrogatepass")
    assert reason_of(raw).startswith("unparsable: not UTF-8 (invalid continuation byte at byte ")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(literal: str) -> None:
    """Python's json would read NaN and Infinity; the decoder refuses them as JSON.parse does."""
    value = user_text(("street_number", literal)).encode()
    assert reason_of(value) == f"unparsable: not JSON ({literal} is not a JSON number)"


@pytest.mark.parametrize(
    ("raw", "quoted"),
    [
        ("1e400", "null"),
        ("-1e400", "null"),
        ("1" * 5000, "null"),
        ("-" + "9" * 5000, "null"),
        ("2147483648", "2147483648"),
    ],
    ids=["1e400", "-1e400", "5000 digits", "-5000 digits", "2**31"],
)
def test_huge_numbers_are_out_of_range_not_errors(raw: str, quoted: str) -> None:
    """Huge literals become floats (infinite past 1e308, as in JavaScript): out of range, quoted as null."""
    reason = reason_of(user_text(("street_number", raw)).encode())
    assert reason == f"invalid: street_number: is not a 32-bit integer ({quoted})"
    assert reason_of(user_text(("city", raw)).encode()) == f"invalid: city: is not a string ({quoted})"
    extra = reason_of(user_text(("extra", raw)).encode())
    assert extra == "invalid: extra: is not a field of the contract"


def test_duplicate_keys_the_last_one_wins() -> None:
    """As in JSON.parse: a later duplicate replaces the value, whatever the earlier one held."""
    assert (
        reason_of(user_text(("city", '"Salem"'), ("city", "7")).encode())
        == "invalid: city: is not a string (7)"
    )
    later = DECODER.decode(user_text(("city", "7"), ("city", '"Salem"')).encode())
    assert later.values is not None and later.values[list(KINDS).index("city")] == "Salem"
    # An earlier NaN still makes the text not JSON, even though a later value replaces it.
    shadowed_nan = user_text(("street_number", "NaN"), ("street_number", "42")).encode()
    assert reason_of(shadowed_nan) == "unparsable: not JSON (NaN is not a JSON number)"


def test_a_byte_order_mark_is_not_json() -> None:
    """A UTF-8 BOM before the object (as some Windows tools write) is not JSON, for JSON.parse either."""
    value = "\ufeff".encode() + json_bytes(make_user())
    assert reason_of(value) == "unparsable: not JSON (starts with a byte order mark)"


def test_deep_nesting_is_refused_before_parsing() -> None:
    """100,000 '[' (and '{"a":') are refused without recursion; 63 levels in a field still parse."""
    roomy = RecordDecoder(settings_for(KINDS, max_bytes=1 << 20))
    deep = f"unparsable: not JSON (nested deeper than {MAXIMUM_NESTING} levels)"
    assert reason_of(b"[" * 100_000, roomy) == deep
    assert reason_of(b'{"a":' * 100_000, roomy) == deep
    assert reason_of(b"[" * 100_000).startswith("oversize: 100000 bytes")
    levels = MAXIMUM_NESTING - 1  # inside the record's own object: 64 in all
    at_limit = user_text(("city", "[" * levels + "]" * levels)).encode()
    assert reason_of(at_limit).startswith("invalid: city: is not a string ([[[")
    past = user_text(("city", "[" * (levels + 1) + "]" * (levels + 1))).encode()
    assert reason_of(past) == deep
    in_text = DECODER.decode(user_text(("city", json.dumps("[" * 200 + '\\"{'))).encode())
    assert in_text.values is not None  # brackets inside a string do not nest


def test_names_of_every_script_are_valid_and_kept_as_sent() -> None:
    """Devanagari and a decomposed (NFD) "Zoë" are valid names, stored unnormalised."""
    index = list(KINDS).index("first_name")
    for name in ("\u092a\u094d\u0930\u093f\u092f\u093e", "Zoe\u0308", "Zo\u00eb"):
        for ascii_only in (True, False):
            value = user_text(("first_name", json.dumps(name, ensure_ascii=ascii_only))).encode()
            outcome = DECODER.decode(value)
            assert outcome.values is not None, (name, outcome.reason)
            assert outcome.values[index] == name


def test_a_reason_shows_look_alike_characters_as_escapes() -> None:
    """An invalid NFD "Zoë!" reads `Zoe\\u0308!` in its reason, not like the NFC "Zoë!"."""
    nfd = reason_of(user_text(("first_name", json.dumps("Zoe\u0308!"))).encode())
    assert nfd == 'invalid: first_name: is not a valid name ("Zoe\\u0308!")'
    nfc = reason_of(user_text(("first_name", json.dumps("Zo\u00eb!"))).encode())
    assert nfc == 'invalid: first_name: is not a valid name ("Zo\u00eb!")'


POISON_KINDS: list[bytes | None] = [
    user_text(("first_name", '"Ada\\ud83d"')).encode(),
    user_text(("email", '"x\\ud83d@"')).encode(),
    user_text(("k\ud83d", "1")).encode(),
    user_text(("k\ud83d", "1"), ascii_only=False).encode("utf-8", "surrogatepass"),
    user_text(("street_number", "NaN")).encode(),
    user_text(("street_number", "1e400")).encode(),
    user_text(("street_number", "1" * 5000)).encode(),
    user_text(("city", '"Salem"'), ("city", "7")).encode(),
    "\ufeff".encode() + json_bytes(make_user()),
    b"[" * 60_000,
    user_text(("first_name", json.dumps("\u092a\u094d\u0930\u093f\u092f\u093e"))).encode(),
    user_text(("first_name", json.dumps("Zoe\u0308"))).encode(),
    user_text(("first_name", json.dumps("Zoe\u0308!"))).encode(),
    user_text(("street_number", "42.0")).encode(),
    b"\xff\xfe",
    b"",
    None,
    b"x" * (MAX_RECORD_BYTES + 1),
]


def test_every_poison_kind_in_one_batch_through_the_job(spark: Any, contract: dict[str, Any]) -> None:
    """The issue's kinds together in one batch, amid valid users, through the job's `decode_frame`
    (the JVM validator): every row kept, each with this reference decoder's outcome."""
    from users_stream.job import decode_frame

    values = [json_bytes(make_user(index)) for index in range(5)] + POISON_KINDS
    rows = [
        (f"k{index}".encode(), value, "users", index % 3, 1000 + index) for index, value in enumerate(values)
    ]
    frame = spark.createDataFrame(rows, "key binary, value binary, topic string, partition int, offset long")
    decoded = decode_frame(frame, SETTINGS, contract).orderBy("kafka_offset").collect()
    assert len(decoded) == len(values)
    names = list(KINDS)
    for row, value in zip(decoded, values, strict=True):
        expected = DECODER.decode(value)
        check_outcome(expected)
        assert row["dlq_reason"] == expected.reason
        assert (bytes(row["kafka_value"]) if row["kafka_value"] is not None else None) == value
        if expected.values is not None:
            for name, field_value in zip(names, expected.values, strict=True):
                if KINDS[name] == "date":
                    assert row[name] == date.fromisoformat(field_value)
                elif KINDS[name] == "timestamp":
                    assert row[name] == datetime.strptime(field_value, "%Y-%m-%dT%H:%M:%S.%fZ")
                else:
                    assert row[name] == field_value
        else:
            assert all(row[name] is None for name in names)


def test_the_validator_runs_once_per_record_under_a_filter(spark: Any, contract: dict[str, Any]) -> None:
    """Filtering the decoded rows on `dlq_reason` (as the job's valid and dead-letter branches do)
    must not copy the validator into the filter: a deterministic UDF would be, and would run twice
    per record (seen: 8.6 s instead of 4.8 s for 200k records on one core)."""
    from users_stream.job import VALIDATOR_FUNCTION, decode_frame

    frame = spark.createDataFrame(
        [(b"k", json_bytes(make_user()), "users", 0, 1)],
        "key binary, value binary, topic string, partition int, offset long",
    )
    valid = decode_frame(frame, SETTINGS, contract).where("dlq_reason IS NULL").select("id")
    plan = valid._jdf.queryExecution().optimizedPlan().toString()
    assert plan.count(f"{VALIDATOR_FUNCTION}(") == 1, plan
    assert valid.count() == 1
