/**
 * The shared cases of the users record rules (contracts/users.cases.json) under contracts/validate.ts;
 * spark/tests/test_cases.py runs the same file under the Spark job's validator.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { userRules } from "../../contracts/rules";
import { validateUser, validateUserJson } from "../../contracts/validate";

interface RecordCase {
  readonly name: string;
  readonly change?: Record<string, unknown>;
  readonly remove?: readonly string[];
  readonly problems: readonly string[];
}

interface Cases {
  readonly base: Record<string, unknown>;
  readonly records: readonly RecordCase[];
  readonly values: readonly { name: string; value: unknown; problems: readonly string[] }[];
  readonly documents: readonly {
    name: string;
    text?: string;
    hex?: string;
    unparsable?: boolean;
    problems?: readonly string[];
  }[];
}

const cases = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "contracts", "users.cases.json"), "utf8"),
) as Cases;

function record(entry: RecordCase): Record<string, unknown> {
  const value: Record<string, unknown> = { ...cases.base, ...entry.change };
  for (const name of entry.remove ?? []) delete value[name];
  return value;
}

for (const entry of cases.records) {
  test(`record: ${entry.name}`, (t) => {
    t.deepEqual(validateUser(record(entry)), entry.problems);
  });
}

for (const entry of cases.values) {
  test(`value: ${entry.name}`, (t) => {
    t.deepEqual(validateUser(entry.value), entry.problems);
  });
}

for (const entry of cases.documents) {
  test(`document: ${entry.name}`, (t) => {
    const bytes = entry.hex !== undefined ? Buffer.from(entry.hex, "hex") : Buffer.from(entry.text!, "utf8");
    const verdict = validateUserJson(bytes);
    if (entry.unparsable) {
      t.is(verdict.kind, "unparsable");
    } else {
      t.deepEqual(verdict.kind === "parsed" ? verdict.problems : verdict.reason, entry.problems);
    }
  });
}

test("every rule of the contract has an invalid case naming its field, and the cases are many", (t) => {
  const named = new Set(
    cases.records.flatMap((entry) => entry.problems.map((problem) => problem.slice(0, problem.indexOf(":")))),
  );
  for (const field of userRules.fields) t.true(named.has(field.name), `no invalid case names ${field.name}`);
  for (const rule of userRules.recordRules) {
    t.true(
      cases.records.some((entry) => entry.problems.some((problem) => problem.startsWith(`${rule.field}: `))),
      `no case for the ${rule.rule} rule of ${rule.field}`,
    );
  }
  const valid = cases.records.filter((entry) => entry.problems.length === 0).length;
  t.true(
    valid >= 10 && cases.records.length - valid >= 40,
    `${valid} valid, ${cases.records.length - valid} invalid`,
  );
});
