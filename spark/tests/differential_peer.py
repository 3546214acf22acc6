"""The job's side of the differential test (tests/unit/contract-differential.test.ts).

Reads commands as JSON lines on stdin, answers one JSON line each on stdout:
- {"values": [base64, ...]} -> {"verdicts": [...]}: each value through the job's JSON parsing and
  `validate_user` (category, fields named) and through `RecordDecoder.decode`, which must agree;
- {"classes": true} -> the code point ranges of the name rule's letter-or-mark class and of the
  characters reasons escape, to compare with Node's Unicode tables.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import regex

from users_stream.contract import field_kinds, load_contract_schema, validate_user
from users_stream.decode import DecoderSettings, RecordDecoder

UNKNOWN_FIELD = ": is not a field of the contract"


def field_of(problem: str) -> str:
    """The field a problem names (an unknown key may itself hold ': ')."""
    if problem.endswith(UNKNOWN_FIELD):
        return problem[: -len(UNKNOWN_FIELD)]
    return problem.split(":", 1)[0]


def verdict(decoder: RecordDecoder, value: bytes) -> dict[str, Any]:
    outcome = decoder.decode(value)
    record, reason = decoder._parse_json(value) if value else (None, "empty")
    if reason is not None:
        answer: dict[str, Any] = {"kind": "unparsable", "reason": reason}
    else:
        problems = validate_user(record, decoder.kinds)
        answer = {"kind": "parsed", "problems": problems, "fields": sorted({field_of(p) for p in problems})}
    # The decoder (what the job runs) must say the same: a row exactly when there is no problem.
    answer["decoderAgrees"] = (outcome.values is not None) == (answer.get("problems") == [])
    answer["decoderReason"] = outcome.reason
    return answer


def ranges(pattern: regex.Pattern[str]) -> list[list[int]]:
    found: list[list[int]] = []
    for code in range(0x110000):
        if pattern.fullmatch(chr(code)):
            if found and found[-1][1] == code - 1:
                found[-1][1] = code
            else:
                found.append([code, code])
    return found


def main() -> None:
    kinds = field_kinds(load_contract_schema())
    decoder = RecordDecoder(DecoderSettings("json", tuple(kinds.items()), max_record_bytes=1 << 30))
    for line in sys.stdin:
        command = json.loads(line)
        if "values" in command:
            values = [base64.b64decode(item) for item in command["values"]]
            answer: dict[str, Any] = {"verdicts": [verdict(decoder, value) for value in values]}
        else:
            answer = {
                "letterOrMark": ranges(regex.compile(r"[\p{L}\p{M}]")),
                "escaped": ranges(regex.compile(r"(?! )[\p{M}\p{C}\p{Z}]")),
            }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
