/**
 * Property tests of validateUser (fast-check): whatever a producer sends, the validator returns a
 * list of problems in well-formed text and never throws; names of every script are valid; reasons
 * tell look-alike values apart.
 */
import test from "ava";
import fc from "fast-check";
import { quoteForReason, validateUser, validateUserJson } from "../../contracts/validate";
import { UserGenerator } from "../../producer/src/generator";
import {
  arbitraryBytes,
  jsonDocumentValue,
  mutatedUserObject,
  mutatedUserValue,
} from "./support/poison-records";

const runs = 2_000;
const loneSurrogate = /\p{Cs}/u;

function wellFormedProblems(problems: unknown): boolean {
  return (
    Array.isArray(problems) &&
    problems.every((problem) => typeof problem === "string" && !loneSurrogate.test(problem))
  );
}

test("validateUser never throws and words every problem in well-formed text (anything, mutated users)", (t) => {
  for (const [label, arbitrary] of [
    ["anything", fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true })],
    ["mutated users", mutatedUserObject],
  ] as const) {
    fc.assert(
      fc.property(arbitrary, (value) => wellFormedProblems(validateUser(value))),
      { numRuns: runs },
    );
    t.pass(`${label}: ${runs} cases`);
  }
});

test("validateUserJson gives a verdict for any bytes, JSON document or mutated user value", (t) => {
  for (const [label, arbitrary] of [
    ["bytes", arbitraryBytes],
    ["JSON documents", jsonDocumentValue],
    ["mutated user values", mutatedUserValue],
  ] as const) {
    fc.assert(
      fc.property(arbitrary, (bytes) => {
        const verdict = validateUserJson(bytes);
        return verdict.kind === "unparsable" || wellFormedProblems(verdict.problems);
      }),
      { numRuns: runs },
    );
    t.pass(`${label}: ${runs} cases`);
  }
});

test("a lone surrogate is refused in a valid field, in an invalid one and in a key", (t) => {
  const user = new UserGenerator({ seed: 5 }).next();
  t.deepEqual(validateUser({ ...user, first_name: "Ada\ud83d" }), [
    'first_name: is not valid Unicode text (lone surrogate) ("Ada\\ud83d")',
  ]);
  t.deepEqual(validateUser({ ...user, email: "nope\ud83d" }), [
    'email: is not valid Unicode text (lone surrogate) ("nope\\ud83d")',
  ]);
  t.deepEqual(validateUser({ ...user, "\ud83d": 1 }), ["\\ud83d: is not a field of the contract"]);
  // A surrogate pair (an emoji) is text: it fails the name rule, not the Unicode one.
  t.deepEqual(validateUser({ ...user, first_name: "Ada\ud83d\ude00" }), [
    'first_name: is not a valid name ("Ada😀")',
  ]);
});

test("names of every script: letters with their combining marks are valid", (t) => {
  const user = new UserGenerator({ seed: 6 }).next();
  for (const name of [
    "प्रिया",
    "Zoe\u0308",
    "Zoë",
    "Nguyễn",
    "Θεοδώρα",
    "Ólafsdóttir",
    "O'Hara-Smith",
    "李",
  ]) {
    t.deepEqual(validateUser({ ...user, first_name: name }), [], name);
  }
  for (const name of ["\u0308Zoe", "R2D2", "Ada😀", "a\u200db", " Ada"]) {
    t.regex(validateUser({ ...user, first_name: name }).join(), /^first_name: is not a valid name/, name);
  }
});

test("reasons show escapes where values would read the same (NFD and NFC, invisible characters)", (t) => {
  const user = new UserGenerator({ seed: 7 }).next();
  const nfd = validateUser({ ...user, first_name: "Zoe\u0308!" }).join();
  const nfc = validateUser({ ...user, first_name: "Zoë!" }).join();
  t.is(nfd, 'first_name: is not a valid name ("Zoe\\u0308!")');
  t.is(nfc, 'first_name: is not a valid name ("Zoë!")');
  t.is(quoteForReason("a\u00a0b\u200d\u{1d165} c"), '"a\\u00a0b\\u200d\\ud834\\udd65 c"');
  t.is(quoteForReason("x".repeat(200)).length, 80);
});

test("the URL rule is a pattern: https, a dotted host, ASCII, no spaces", (t) => {
  const user = new UserGenerator({ seed: 8 }).next();
  for (const url of ["https://a.example.com/x.jpg", "https://cdn.example.net:8443/p?q=1#f"]) {
    t.deepEqual(validateUser({ ...user, picture: url }), [], url);
  }
  for (const url of [
    "http://a.example.com/x.jpg",
    "https://localhost/a.jpg",
    "https://a.example.com/a b.jpg",
    "https:a.example.com",
    "https://ä.example.com/",
    "https://user@a.example.com/",
  ]) {
    t.regex(validateUser({ ...user, picture: url }).join(), /^picture: is not a valid url/, url);
  }
});
