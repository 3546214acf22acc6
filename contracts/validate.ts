import { userRules, type RecordRules } from "./rules";

/**
 * The record rules of contracts/rules.ts, interpreted. The Spark job reads the same rules from the
 * generated contracts/users.rules.json; contracts/users.cases.json holds the cases both must agree on.
 */

/** A whole-value matcher of one of the rules' patterns. */
function wholeValue(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, "u");
}

/** Milliseconds in one day. */
const dayMilliseconds = 86_400_000;
const yearMilliseconds = 365.25 * dayMilliseconds;

// A string holding a lone UTF-16 surrogate (what JSON.stringify writes for a string cut inside an
// emoji) is not Unicode text.
const loneSurrogate = /\p{Cs}/u;
const nonDigits = /[^0-9]/g;

/** `text` with each `{name}` replaced by `values[name]`. */
function fill(text: string, values: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

// Years 0001-9999, as Python's date type allows: JavaScript's Date allows year 0.
function calendarMilliseconds(kind: "date" | "timestamp", text: string): number | undefined {
  if (text.startsWith("0000")) return undefined;
  const parsed = Date.parse(kind === "date" ? `${text}T00:00:00.000Z` : text);
  if (Number.isNaN(parsed)) return undefined;
  const canonical = new Date(parsed).toISOString();
  return (kind === "date" ? canonical.slice(0, 10) : canonical) === text ? parsed : undefined;
}

function utf16Escapes(character: string): string {
  let escaped = "";
  for (let index = 0; index < character.length; index++) {
    escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, "0")}`;
  }
  return escaped;
}

type Check = (value: unknown) => string | undefined;

interface CompiledField {
  readonly name: string;
  readonly check: Check;
}

interface Compiled {
  readonly fields: readonly CompiledField[];
  readonly known: ReadonlySet<string>;
  readonly escapedInReasons: RegExp;
  readonly instant: (record: Record<string, unknown>, field: string) => number;
}

function compile(rules: RecordRules): Compiled {
  const { messages, strings } = rules;
  const lengthMessage = fill(messages.length, { maxLength: strings.maxLength });
  const kindChecks = Object.fromEntries(
    Object.entries(rules.kinds).map(([kind, rule]): [string, Check] => {
      const pattern = rule.pattern === undefined ? undefined : wholeValue(rule.pattern);
      if (rule.json === "number") {
        return [
          kind,
          (value) =>
            Number.isInteger(value) &&
            (rule.integer === undefined ||
              ((value as number) >= rule.integer.min && (value as number) <= rule.integer.max))
              ? undefined
              : rule.message,
        ];
      }
      return [
        kind,
        (value) => {
          if (typeof value !== "string") return rule.message;
          if (pattern === undefined) {
            if (loneSurrogate.test(value)) return messages.loneSurrogate;
            if (value.length === 0 || value.length > strings.maxLength) return lengthMessage;
            return undefined;
          }
          if (!pattern.test(value)) return rule.message;
          if (rule.calendar !== undefined && calendarMilliseconds(rule.calendar, value) === undefined)
            return rule.message;
          return undefined;
        },
      ];
    }),
  );
  const formatChecks = Object.fromEntries(
    Object.entries(rules.formats).map(([format, rule]): [string, (value: string) => boolean] => {
      const pattern = rule.pattern === undefined ? undefined : wholeValue(rule.pattern);
      const oneOf = rule.oneOf === undefined ? undefined : new Set<string>(rule.oneOf);
      return [
        format,
        (value) =>
          (pattern === undefined || pattern.test(value)) &&
          (oneOf === undefined || oneOf.has(value)) &&
          (rule.minDigits === undefined || value.replace(nonDigits, "").length >= rule.minDigits),
      ];
    }),
  );
  const kindOf = new Map(rules.fields.map((field) => [field.name, field.kind]));
  return {
    fields: rules.fields.map((field) => {
      const kindCheck = kindChecks[field.kind]!;
      const formatCheck = field.format === undefined ? undefined : formatChecks[field.format]!;
      const formatMessage = fill(messages.format, { format: field.format ?? "" });
      return {
        name: field.name,
        check: (value) =>
          kindCheck(value) ??
          (formatCheck !== undefined && !formatCheck(value as string) ? formatMessage : undefined),
      };
    }),
    known: new Set(rules.fields.map((field) => field.name)),
    escapedInReasons: new RegExp(`(?!${rules.reasons.keep})${rules.reasons.escaped}`, "gu"),
    instant: (record, field) =>
      calendarMilliseconds(kindOf.get(field) === "date" ? "date" : "timestamp", record[field] as string)!,
  };
}

const compiled = compile(userRules);

/**
 * A value as quoted in a reason: its JSON form with every character of the rules'
 * `reasons.escaped` class (but `reasons.keep`) as a `\uXXXX` escape, cut to
 * `reasons.valueLength` code points. The job's `quote_for_reason` writes the same text.
 */
export function quoteForReason(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = JSON.stringify(String(value)); // a BigInt or a cycle: not from JSON, but never a throw
  }
  const escaped = json.replace(compiled.escapedInReasons, utf16Escapes);
  return Array.from(escaped).slice(0, userRules.reasons.valueLength).join("");
}

/** A field name as shown in a reason: {@link quoteForReason} without the quotes. */
function nameForReason(name: string): string {
  return quoteForReason(name).slice(1).replace(/"$/, "");
}

function recordRuleProblem(
  rule: RecordRules["recordRules"][number],
  record: Record<string, unknown>,
): string | undefined {
  switch (rule.rule) {
    case "yearsBetween": {
      const years =
        (compiled.instant(record, rule.to) - compiled.instant(record, rule.from)) / yearMilliseconds;
      return years < rule.min || years > rule.max
        ? fill(rule.message, { years: years.toFixed(2), min: rule.min, max: rule.max })
        : undefined;
    }
    case "after":
      return compiled.instant(record, rule.field) > compiled.instant(record, rule.than)
        ? undefined
        : rule.message;
    case "notAfter":
      return compiled.instant(record, rule.field) <= compiled.instant(record, rule.than)
        ? undefined
        : rule.message;
    case "range": {
      const value = record[rule.field] as number;
      return value < rule.min || value > rule.max
        ? fill(rule.message, { min: rule.min, max: rule.max })
        : undefined;
    }
  }
}

/**
 * Checks a value against the user contract's rules (contracts/rules.ts): exactly the contract's
 * fields, each of its kind and format, then the record rules (18 <= age at event_time <= 90 years,
 * dob < registered_at <= event_time, street number range). Returns the list of problems, empty when
 * the record is valid.
 */
export function validateUser(value: unknown): string[] {
  const { messages } = userRules;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [messages.notObject];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(record)) {
    if (!compiled.known.has(key)) problems.push(`${nameForReason(key)}: ${messages.unknownField}`);
  }
  for (const field of compiled.fields) {
    const fieldValue = record[field.name];
    if (fieldValue === undefined || fieldValue === null) {
      problems.push(`${field.name}: ${messages.missing}`);
      continue;
    }
    const problem = field.check(fieldValue);
    if (problem !== undefined) problems.push(`${field.name}: ${problem} (${quoteForReason(fieldValue)})`);
  }
  if (problems.length > 0) return problems;
  for (const rule of userRules.recordRules) {
    const problem = recordRuleProblem(rule, record);
    if (problem !== undefined) problems.push(`${rule.field}: ${problem}`);
  }
  return problems;
}

/** The outcome of {@link validateUserJson}: `unparsable` with a reason, or the parsed value's problems. */
export type JsonVerdict =
  | { readonly kind: "unparsable"; readonly reason: string }
  | { readonly kind: "parsed"; readonly value: unknown; readonly problems: string[] };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Arrays and objects nest at most this deep in a record value (the job's MAXIMUM_NESTING). */
export const maximumJsonNesting = userRules.json.maxNesting;

/** How deep arrays and objects nest in a JSON text (the job's `nesting_depth`). */
function nestingDepth(text: string): number {
  let brackets = 0;
  for (const character of text) if (character === "{" || character === "[") brackets++;
  if (brackets <= maximumJsonNesting) return 0;
  let depth = 0;
  let deepest = 0;
  // One pass over strings (closed or not) and brackets: linear even for an unterminated string.
  for (const [token] of text.matchAll(/"(?:[^"\\]|\\.)*"?|[[\]{}]/gs)) {
    if (token === "[" || token === "{") deepest = Math.max(deepest, ++depth);
    else if (token === "]" || token === "}") depth--;
  }
  return deepest;
}

/**
 * Checks a Kafka record value (bytes) as the Spark job does: strict UTF-8 (no byte order mark),
 * standard JSON (no NaN or Infinity; for a repeated key the last value counts; at most 64 levels
 * of nesting), then
 * {@link validateUser}. The job's decoder gives the same verdict and names the same fields
 * (a differential test runs both on generated records).
 */
export function validateUserJson(bytes: Uint8Array): JsonVerdict {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { kind: "unparsable", reason: "not UTF-8" };
  }
  if (nestingDepth(text) > maximumJsonNesting) {
    return { kind: "unparsable", reason: `not JSON (nested deeper than ${maximumJsonNesting} levels)` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "unparsable", reason: `not JSON (${(error as Error).message})` };
  }
  return { kind: "parsed", value, problems: validateUser(value) };
}
