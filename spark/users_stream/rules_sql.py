"""The record rules (contracts/users.rules.json) compiled into Spark SQL column expressions.

Groundwork for issue 14 item 2 (validation on the JVM, no Python worker per record): not used by
the job yet, which validates in Python workers (decode.py). They read the same rules as contract.py
and give the same reasons for all the shared cases (spark/tests/test_rules_sql.py runs
contracts/users.cases.json through them on a local Spark). Not yet fast enough to replace the
Python decoder: on a loaded 2-core machine the field checks cost about 10 µs per field per record
(17 fields), several times Jackson's parse; the next steps are one projection for each field's
text and string flag (Spark does not share a subexpression used only inside CASE branches), one
evaluation of each date/time, and a benchmark on a quiet machine against the Python decoder.

How a JSON value is read with Spark's own functions, and why:

- `from_json` with every field as a string gives a string token's text, but a number, `true` or an
  object as its JSON text: `"5"` and `5` look alike. Before parsing, every string *value* token
  (a string right after a member's colon) gets a private-use marker (U+E000) after its opening quote, so a
  field whose parsed text starts with the marker was a JSON string (the marker is cut off again).
- Strict JSON (no single quotes, NaN, leading zeros, trailing text, two values): the record must
  be the one element of `[<text>,0]` besides the 0 (`json_array_length` is 2), with Jackson's
  defaults.
- Unknown fields: `json_object_keys`. Duplicate keys: `from_json` keeps the last value, as
  JSON.parse and Python's json do.
- Speed: the checks are plain column expressions, which Spark compiles to Java (whole-stage code
  generation), in a projection of their own (a projection holding `from_json` or a higher-order
  function is not compiled as a whole); Spark's JSON expression optimisation must be off
  (`spark.sql.optimizer.enableJsonExpressionOptimization=false`), or it merges the parse into the
  checks. Reasons are assembled with higher-order functions only for invalid records.
- Quotes in reasons: the value's JSON form built here (short escapes for \\b \\f \\n \\r \\t as
  JSON.stringify writes them), every character of the rules' `reasons.escaped` class as \\uXXXX
  (UTF-16 units, lower-case hex), cut to `reasons.valueLength` code points.
- Unicode properties (`\\p{L}` …) are expanded to explicit code point ranges with the `regex`
  module's tables (pinned to Node's Unicode version), so Java's own (older) tables play no part.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import regex

from .contract import MAXIMUM_NESTING, RULES

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

STRING_MARKER = "\ue000"
# Written for a lone-surrogate escape, before its 4 hex digits (see `_mark_lone_surrogates`).
SURROGATE_MARKER = "\ue001"
# The parsed record's column for text that is not JSON. A record may have a key of that name too
# (then it is an unknown field, and the record parsed): see `judge_json`.
CORRUPT = "_corrupt_record"
# Jackson as strict as JSON.parse (Spark allows single quotes and NaN by default).
STRICT_JSON = {
    "mode": "PERMISSIVE",
    "allowSingleQuotes": "false",
    "allowNonNumericNumbers": "false",
    "allowNumericLeadingZeros": "false",
}
# Columns `judge_json` adds: the parsed record, its keys, each field's problem, each record rule's.
PARSED = "__users_parsed"
KEYS = "__users_keys"
REASON = "dlq_reason"
TYPED_PREFIX = "__typed_"
_PROBLEM_PREFIX = "__problem_"
_RECORD_PREFIX = "__record_problem_"
_COLUMN_PREFIX = "__field_"
_property = regex.compile(r"\\p\{([A-Za-z_]+)\}")
# JSON's whitespace: a key is a string followed by optional whitespace and a colon.
_JSON_WHITESPACE = "[ \\t\\n\\r]"
# The opening quote of a string that is an object member's value: after the colon (and whitespace).
# It cannot match inside a string: there a quote is always escaped (preceded by a backslash).
_VALUE_STRING_START = f':({_JSON_WHITESPACE}*)"'
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
_DAY_MILLISECONDS = 86_400_000
_YEAR_MILLISECONDS = 365.25 * _DAY_MILLISECONDS


@cache
def _property_ranges(name: str) -> str:
    """The code points of a Unicode general category as a Java character class body."""
    pattern = regex.compile(rf"\p{{{name}}}+")
    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    parts = []
    for run in pattern.finditer(every):
        first, last = ord(run.group()[0]), ord(run.group()[-1])
        parts.append(f"\\x{{{first:x}}}" if first == last else f"\\x{{{first:x}}}-\\x{{{last:x}}}")
    if name in ("C", "Cs"):
        parts.append("\\x{d800}-\\x{dfff}")
    return "".join(parts)


def java_pattern(pattern: str) -> str:
    """A rules pattern for java.util.regex: `\\p{X}` as explicit ranges (inside a class or not)."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        match = _property.match(pattern, index)
        if match:
            ranges = _property_ranges(match.group(1))
            out.append(ranges if in_class else f"[{ranges}]")
            index = match.end()
            continue
        character = pattern[index]
        if character == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if character == "[":
            in_class = True
        elif character == "]":
            in_class = False
        out.append(character)
        index += 1
    return "".join(out)


def _lit(value: Any) -> Column:
    from pyspark.sql import functions as F

    return F.lit(value)


def _whole(column: Column, pattern: str) -> Column:
    """`column` matches all of `pattern` (java.util.regex).

    A pattern with Unicode properties is first tried with Java's own tables (a small, fast
    pattern; Java 17 has Unicode 13), and only a value it refuses with the explicit ranges of the
    pinned Unicode version: a large character class is slow to match in Java.
    """
    exact = column.rlike(f"^(?:{java_pattern(pattern)})$")
    if not _property.search(pattern):
        return exact
    return column.rlike(f"^(?:{pattern})$") | exact


def _escape_for_reason(text: Column, json_escapes: Column) -> Column:
    """`text` as a reason shows it: lone-surrogate markers as \\uXXXX, string markers dropped, every
    character of the rules' `reasons.escaped` class (but `reasons.keep`) as \\uXXXX escapes of its
    UTF-16 units, and where `json_escapes` also `"`, `\\` and the short escapes JSON.stringify
    writes. Only the first `reasons.valueLength` characters of `text` are read."""
    from pyspark.sql import functions as F

    limit = RULES["reasons"]["valueLength"]
    escaped_class = java_pattern(RULES["reasons"]["escaped"])

    def one(token: Column) -> Column:
        cases = F.when(token == _lit(RULES["reasons"]["keep"]), token)
        cases = cases.when(token == _lit(STRING_MARKER), _lit(""))
        cases = cases.when(
            token.startswith(SURROGATE_MARKER), F.concat(_lit("\\u"), F.lower(F.substring(token, 2, 4)))
        )
        for raw, short in _SHORT_ESCAPES.items():
            cases = cases.when(json_escapes & (token == _lit(raw)), _lit(short))
        units = F.lower(F.hex(F.encode(token, "UTF-16BE")))
        return cases.when(
            token.rlike(f"^{escaped_class}$"), F.regexp_replace(units, "(.{4})", "\\\\u$1")
        ).otherwise(token)

    # Each source token gives at least one character: the first `limit` tokens are enough.
    source = F.substring(text, 1, limit * (1 + len(SURROGATE_MARKER) + 4))
    tokens = F.slice(
        F.regexp_extract_all(source, _lit(f"(?s)({SURROGATE_MARKER}[0-9a-fA-F]{{4}}|.)"), 1), 1, limit
    )
    return F.array_join(F.transform(tokens, one), "")


def _quote(raw: Column) -> Column:
    """The reason quote of a parsed field (`quote_for_reason`): a string (marked) as its JSON string,
    any other value as Jackson's compact JSON text of it; cut to `reasons.valueLength` code points."""
    from pyspark.sql import functions as F

    is_string = raw.startswith(STRING_MARKER)
    body = _escape_for_reason(raw, is_string)
    quoted = F.when(is_string, F.concat(_lit('"'), body, _lit('"'))).otherwise(body)
    return F.substring(quoted, 1, RULES["reasons"]["valueLength"])


def _name_for_reason(name: Column) -> Column:
    """A key as a reason names it (`name_for_reason`): its quote without the quotes."""
    from pyspark.sql import functions as F

    body = _escape_for_reason(name, F.lit(True))
    quoted = F.substring(F.concat(_lit('"'), body, _lit('"')), 1, RULES["reasons"]["valueLength"])
    return F.regexp_replace(F.substring(quoted, 2, 1 << 30), '"$', "")


def _mark_lone_surrogates(text: Column) -> Column:
    """Each lone-surrogate escape (\\ud83d without its pair) as SURROGATE_MARKER + its 4 hex digits.

    Spark strings are UTF-8 and hold no surrogate: parsed, a lone surrogate would become "?". An
    escaped backslash is first written as \\u005c (the same JSON string), so that every backslash
    left starts an escape.
    """
    from pyspark.sql import functions as F

    hex4 = "[0-9a-fA-F]{2}"
    protected = F.regexp_replace(text, "\\\\\\\\", "\\\\u005c")
    high = f"\\\\u([dD][89abAB]{hex4})(?!\\\\u[dD][c-fC-F]{hex4})"
    low = f"(?<!\\\\u[dD][89abAB]{hex4})\\\\u([dD][c-fC-F]{hex4})"
    marked = F.regexp_replace(
        F.regexp_replace(protected, high, f"{SURROGATE_MARKER}$1"), low, f"{SURROGATE_MARKER}$1"
    )
    return F.when(text.contains("\\u"), marked).otherwise(text)


def _field_columns(parsed: Column) -> dict[str, Column]:
    """Per field, the columns its checks read (each computed once, in a projection of its own):
    `raw` (the parsed text, strings marked), `string` (its content when it is a JSON string, else
    null), and for dates and timestamps `parts` (the integers of the text)."""
    from pyspark.sql import functions as F

    out: dict[str, Column] = {}
    for field in RULES["fields"]:
        name = field["name"]
        raw = parsed.getField(name)
        out[f"raw_{name}"] = raw
        out[f"string_{name}"] = F.when(raw.startswith(STRING_MARKER), F.substring(raw, 2, 1 << 30))
    return out


def _field_checks(col: Any) -> tuple[dict[str, Column], dict[str, Column], dict[str, Column]]:
    """(problem message or null, typed value, epoch milliseconds of dates/times) of each field.

    `col(name)` is the column `name` of `_field_columns`.
    """
    from pyspark.sql import functions as F

    messages = RULES["messages"]
    max_length = RULES["strings"]["maxLength"]
    problems: dict[str, Column] = {}
    typed: dict[str, Column] = {}
    instants: dict[str, Column] = {}
    for field in RULES["fields"]:
        name = field["name"]
        rule = RULES["kinds"][field["kind"]]
        raw = col(f"raw_{name}")
        content = col(f"string_{name}")
        is_string = content.isNotNull()
        if rule["json"] == "number":
            number = raw.cast("double")
            integer = rule["integer"]
            ok = (
                ~is_string
                & raw.rlike("^-?[0-9]")
                & (number == F.floor(number))
                & (number >= integer["min"])
                & (number <= integer["max"])
            )
            problem = F.when(~ok, _lit(rule["message"]))
            typed[name] = number.cast("int")
        elif "pattern" not in rule:
            # UTF-16 length: never more than the UTF-8 length, so only long values are counted.
            utf16_length = F.when(F.octet_length(content) <= max_length, F.length(content)).otherwise(
                F.length(content) + F.length(F.regexp_replace(content, "[^\\x{10000}-\\x{10ffff}]", ""))
            )
            problem = (
                F.when(~is_string, _lit(rule["message"]))
                .when(content.contains(SURROGATE_MARKER), _lit(messages["loneSurrogate"]))
                .when(
                    (utf16_length == 0) | (utf16_length > max_length),
                    _lit(messages["length"].replace("{maxLength}", str(max_length))),
                )
            )
            fmt = field.get("format")
            if fmt is not None:
                check = RULES["formats"][fmt]
                ok = F.lit(True)
                if "pattern" in check:
                    ok = ok & _whole(content, check["pattern"])
                if "oneOf" in check:
                    ok = ok & content.isin(*check["oneOf"])
                if "minDigits" in check:
                    ok = ok & (F.length(F.regexp_replace(content, "[^0-9]", "")) >= check["minDigits"])
                problem = problem.when(~ok, _lit(messages["format"].replace("{format}", fmt)))
            typed[name] = content
        else:
            ok = is_string & _whole(content, rule["pattern"])
            calendar = rule.get("calendar")
            if calendar is not None:
                year = F.substring(content, 1, 4).cast("int")
                day = F.make_date(
                    year, F.substring(content, 6, 2).cast("int"), F.substring(content, 9, 2).cast("int")
                )
                days = F.unix_date(day).cast("long")
                if calendar == "date":
                    ok = ok & (year >= 1) & day.isNotNull()
                    typed[name] = day
                    instants[name] = days * _DAY_MILLISECONDS
                else:
                    # Arithmetic on the text's integers: cheaper than make_timestamp per record.
                    hour = F.substring(content, 12, 2).cast("int")
                    minute = F.substring(content, 15, 2).cast("int")
                    second = F.substring(content, 18, 2).cast("int")
                    milli = F.substring(content, 21, 3).cast("int")
                    millis = days * _DAY_MILLISECONDS + ((hour * 60 + minute) * 60 + second) * 1000 + milli
                    ok = ok & (year >= 1) & day.isNotNull() & (hour <= 23) & (minute <= 59) & (second <= 59)
                    typed[name] = F.timestamp_millis(millis)
                    instants[name] = millis
            else:
                typed[name] = content
            problem = F.when(~ok, _lit(rule["message"]))
        problems[name] = F.when(raw.isNull(), _lit(messages["missing"])).otherwise(problem)
    return problems, typed, instants


def _record_checks(typed: dict[str, Column], instants: dict[str, Column]) -> list[Column]:
    """Each record rule's problem (`field: message`) or null, in the rules' order."""
    from pyspark.sql import functions as F

    out: list[Column] = []
    for rule in RULES["recordRules"]:
        kind = rule["rule"]
        prefix = f"{rule['field']}: "
        message = (
            rule["message"].replace("{min}", str(rule.get("min"))).replace("{max}", str(rule.get("max")))
        )
        if kind == "yearsBetween":
            years = (instants[rule["to"]] - instants[rule["from"]]) / _YEAR_MILLISECONDS
            before, _, after = message.partition("{years}")
            out.append(
                F.when(
                    (years < rule["min"]) | (years > rule["max"]),
                    F.concat(_lit(prefix + before), F.format_string("%.2f", years), _lit(after)),
                )
            )
        elif kind in ("after", "notAfter"):
            left, right = instants[rule["field"]], instants[rule["than"]]
            holds = left > right if kind == "after" else left <= right
            out.append(F.when(~holds, _lit(prefix + message)))
        elif kind == "range":
            number = typed[rule["field"]]
            out.append(F.when((number < rule["min"]) | (number > rule["max"]), _lit(prefix + message)))
        else:
            raise ValueError(f"unknown record rule {kind!r}")
    return out


def judge_json(frame: DataFrame, max_record_bytes: int, value: str = "value") -> DataFrame:
    """`frame` plus REASON (null for a valid record) and each field's typed value (TYPED_PREFIX + name).

    The reason reads as decode.py's for the same record: `empty: …`, `oversize: …`,
    `unparsable: …` or `invalid: <problems joined by "; ">`. Three projections: the parse, the
    checks (each field's problem, each record rule's), the reason. Spark does not inline an
    expensive expression read more than once into the next projection, so each runs once a record.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    fields = [field["name"] for field in RULES["fields"]]
    messages = RULES["messages"]
    text = F.col(value).cast("string")
    marked = F.regexp_replace(_mark_lone_surrogates(text), _VALUE_STRING_START, f':$1"{STRING_MARKER}')
    # Every field a string: no value fails its type, so the corrupt-record column is set only for
    # text Jackson cannot parse.
    schema = StructType(
        [StructField(name, StringType()) for name in fields] + [StructField(CORRUPT, StringType())]
    )
    parsed_frame = frame.select(
        "*",
        F.from_json(marked, schema, {**STRICT_JSON, "columnNameOfCorruptRecord": CORRUPT}).alias(PARSED),
        F.json_object_keys(text).alias(KEYS),
    )
    parsed = F.col(PARSED)
    field_columns = _field_columns(parsed)
    split_frame = parsed_frame.select(
        "*", *[column.alias(_COLUMN_PREFIX + key) for key, column in field_columns.items()]
    )
    problems, typed, instants = _field_checks(lambda key: F.col(_COLUMN_PREFIX + key))
    record_problems = _record_checks(typed, instants)
    checked = split_frame.select(
        "*",
        *[problems[name].alias(_PROBLEM_PREFIX + name) for name in fields],
        *[problem.alias(f"{_RECORD_PREFIX}{index}") for index, problem in enumerate(record_problems)],
        *[typed[name].alias(TYPED_PREFIX + name) for name in fields],
    )

    keys = F.col(KEYS)
    unknown = F.array_except(keys, F.array(*[_lit(name) for name in fields]))
    field_problem_columns = [F.col(_PROBLEM_PREFIX + name) for name in fields]
    # Assembled only for a record with a field problem (higher-order functions are interpreted).
    field_texts = F.concat(
        F.transform(
            unknown, lambda key: F.concat(_name_for_reason(key), _lit(f": {messages['unknownField']}"))
        ),
        F.transform(
            F.filter(
                F.array(
                    *[
                        F.struct(
                            _lit(name).alias("name"),
                            F.col(_PROBLEM_PREFIX + name).alias("message"),
                            parsed.getField(name).alias("raw"),
                        )
                        for name in fields
                    ]
                ),
                lambda problem: problem["message"].isNotNull(),
            ),
            lambda problem: F.when(
                problem["raw"].isNull(), F.concat(problem["name"], _lit(": "), problem["message"])
            ).otherwise(
                F.concat(
                    problem["name"],
                    _lit(": "),
                    problem["message"],
                    _lit(" ("),
                    _quote(problem["raw"]),
                    _lit(")"),
                )
            ),
        ),
    )
    record_texts = F.concat_ws(
        "; ", *[F.col(f"{_RECORD_PREFIX}{index}") for index in range(len(record_problems))]
    )
    bracket_count = F.length(text) - F.length(F.regexp_replace(text, "[\\[{]", ""))
    reason = (
        F.when(F.col(value).isNull() | (F.length(value) == 0), _lit("empty: the record has no value"))
        .when(
            F.length(value) > max_record_bytes,
            F.concat(
                _lit("oversize: "),
                F.length(value).cast("string"),
                _lit(f" bytes is more than MAX_RECORD_BYTES={max_record_bytes}"),
            ),
        )
        .when(F.encode(F.decode(value, "UTF-8"), "UTF-8") != F.col(value), _lit("unparsable: not UTF-8"))
        .when(text.startswith("\ufeff"), _lit("unparsable: not JSON (starts with a byte order mark)"))
        .when(
            F.coalesce(F.json_array_length(F.concat(_lit("["), text, _lit(",0]"))), _lit(0)) != 2,
            _lit("unparsable: not JSON"),
        )
        .when(
            (bracket_count > MAXIMUM_NESTING) & (_nesting_depth(text) > MAXIMUM_NESTING),
            _lit(f"unparsable: not JSON (nested deeper than {MAXIMUM_NESTING} levels)"),
        )
        .when(
            ~text.rlike(f"^{_JSON_WHITESPACE}*\\{{"),
            F.when(
                F.from_json(
                    F.concat(_lit("["), text, _lit("]")), ArrayType(StringType()), STRICT_JSON
                ).isNull(),
                _lit("unparsable: not JSON"),
            ).otherwise(_lit(f"invalid: {messages['notObject']}")),
        )
        .when(
            parsed.getField(CORRUPT).isNotNull() & ~F.coalesce(F.array_contains(keys, CORRUPT), _lit(False)),
            _lit("unparsable: not JSON"),
        )
        .when(
            F.coalesce(*field_problem_columns).isNotNull() | (F.size(unknown) > 0),
            F.concat(_lit("invalid: "), F.array_join(field_texts, "; ")),
        )
        .when(record_texts != "", F.concat(_lit("invalid: "), record_texts))
    )
    return checked.select(*frame.columns, reason.alias(REASON), *[TYPED_PREFIX + name for name in fields])


def _nesting_depth(text: Column) -> Column:
    """How deep arrays and objects nest (decode.py's nesting_depth): a fold over string and bracket tokens."""
    from pyspark.sql import functions as F

    tokens = F.regexp_extract_all(text, _lit('("(?:[^"\\\\]|\\\\.)*"?|[\\[\\]{}])'), 1)
    start = F.struct(_lit(0).alias("depth"), _lit(0).alias("deepest"))

    def step(state: Column, token: Column) -> Column:
        opens = (token == "[") | (token == "{")
        closes = (token == "]") | (token == "}")
        depth = F.when(opens, state["depth"] + 1).when(closes, state["depth"] - 1).otherwise(state["depth"])
        return F.struct(depth.alias("depth"), F.greatest(state["deepest"], depth).alias("deepest"))

    return F.aggregate(tokens, start, step)["deepest"]
