import type { FieldFormat, FieldKind, User } from "./users";
import { userFields, userGenders } from "./users";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const emailPattern = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;
const usernamePattern = /^[a-z0-9._]{3,40}$/;
const phonePattern = /^[0-9+()\-. x]{7,30}$/;
const postcodePattern = /^[A-Z0-9][A-Z0-9 -]{1,9}$/;
// Letters of every script with their combining marks (Devanagari "प्रिया", a decomposed "Zoë"):
// Unicode categories L and M. The job's validator uses the same classes (the `regex` module, whose
// Unicode version is pinned to Node's; a unit test compares both over every code point).
const namePattern = /^\p{L}[\p{L}\p{M}' .-]{0,63}$/u;
// An https URL with a dotted host name, spelled out as a pattern (not a URL parser's leniency, which
// differs between WHATWG and Python's urlsplit): ASCII only, no spaces, optional port and path.
const urlPattern = /^https:\/\/[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][\x21-\x7e]*)?$/;
// A string holding a lone UTF-16 surrogate (what JSON.stringify writes for a string cut inside an
// emoji) is not Unicode text: Cassandra's text type cannot store it.
const loneSurrogate = /\p{Cs}/u;
// Characters a reason shows as \uXXXX escapes: marks, controls, format characters, surrogates,
// private-use and unassigned code points and every separator but the ASCII space, so that values
// that read the same (NFD "Zoë" and NFC "Zoë") are told apart.
const escapedInReasons = /(?! )[\p{M}\p{C}\p{Z}]/gu;
const maximumStringLength = 256;
/** Code points of a quoted value kept in a reason. */
const reasonValueLength = 80;

/** Milliseconds in one day. */
const dayMilliseconds = 86_400_000;

// Years 0001-9999, as Python's date type (and so the job) allows: JavaScript's Date allows year 0.
function isValidDate(text: string): boolean {
  if (!datePattern.test(text) || text.startsWith("0000")) return false;
  const parsed = Date.parse(`${text}T00:00:00.000Z`);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === text;
}

function isValidTimestamp(text: string): boolean {
  if (!timestampPattern.test(text) || text.startsWith("0000")) return false;
  const parsed = Date.parse(text);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString() === text;
}

function utf16Escapes(character: string): string {
  let escaped = "";
  for (let index = 0; index < character.length; index++) {
    escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, "0")}`;
  }
  return escaped;
}

/**
 * A value as quoted in a reason: its JSON form with every mark, control, format, surrogate,
 * private-use, unassigned or separator character (but the ASCII space) as a `\uXXXX` escape,
 * cut to 80 code points. The job's `quote_for_reason` writes the same text.
 */
export function quoteForReason(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = JSON.stringify(String(value)); // a BigInt or a cycle: not from JSON, but never a throw
  }
  const escaped = json.replace(escapedInReasons, utf16Escapes);
  return Array.from(escaped).slice(0, reasonValueLength).join("");
}

/** A field name as shown in a reason: {@link quoteForReason} without the quotes. */
function nameForReason(name: string): string {
  return quoteForReason(name).slice(1).replace(/"$/, "");
}

function kindError(kind: FieldKind, value: unknown): string | undefined {
  switch (kind) {
    case "int":
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31
        ? undefined
        : "is not a 32-bit integer";
    case "uuid":
      return typeof value === "string" && uuidPattern.test(value) ? undefined : "is not a lower-case UUID";
    case "date":
      return typeof value === "string" && isValidDate(value) ? undefined : "is not a YYYY-MM-DD date";
    case "timestamp":
      return typeof value === "string" && isValidTimestamp(value)
        ? undefined
        : "is not an ISO-8601 UTC timestamp with milliseconds";
    case "string":
      if (typeof value !== "string") return "is not a string";
      if (loneSurrogate.test(value)) return "is not valid Unicode text (lone surrogate)";
      if (value.length === 0 || value.length > maximumStringLength)
        return `is empty or longer than ${maximumStringLength}`;
      return undefined;
  }
}

function formatError(format: FieldFormat, value: string): string | undefined {
  const checks: Record<FieldFormat, () => boolean> = {
    email: () => emailPattern.test(value),
    username: () => usernamePattern.test(value),
    url: () => urlPattern.test(value),
    phone: () => phonePattern.test(value) && /\d{3}/.test(value.replace(/\D/g, "")),
    postcode: () => postcodePattern.test(value),
    gender: () => (userGenders as readonly string[]).includes(value),
    name: () => namePattern.test(value),
  };
  return checks[format]() ? undefined : `is not a valid ${format}`;
}

/**
 * Checks a value against the user contract: exactly the contract's fields, each of its kind and
 * format, and the cross-field rules (18 <= age at event_time <= 90 years, dob < registered_at <=
 * event_time). Returns the list of problems, empty when the record is valid.
 */
export function validateUser(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["record is not an object"];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set<string>(userFields.map((field) => field.name));
  for (const key of Object.keys(record)) {
    if (!known.has(key)) problems.push(`${nameForReason(key)}: is not a field of the contract`);
  }
  for (const field of userFields) {
    const fieldValue = record[field.name];
    if (fieldValue === undefined || fieldValue === null) {
      problems.push(`${field.name}: is missing`);
      continue;
    }
    const problem =
      kindError(field.kind, fieldValue) ??
      ("format" in field && typeof fieldValue === "string"
        ? formatError(field.format, fieldValue)
        : undefined);
    if (problem !== undefined) problems.push(`${field.name}: ${problem} (${quoteForReason(fieldValue)})`);
  }
  if (problems.length > 0) return problems;
  const user = record as User;
  const eventTime = Date.parse(user.event_time);
  const registeredAt = Date.parse(user.registered_at);
  const birth = Date.parse(`${user.dob}T00:00:00.000Z`);
  const ageYears = (eventTime - birth) / (365.25 * dayMilliseconds);
  if (ageYears < 18 || ageYears > 90)
    problems.push(`dob: age ${ageYears.toFixed(2)} years is outside 18..90`);
  if (!(registeredAt > birth)) problems.push("registered_at: is not after dob");
  if (!(registeredAt <= eventTime)) problems.push("registered_at: is after event_time");
  if (user.street_number < 1 || user.street_number > 99_999)
    problems.push("street_number: is outside 1..99999");
  return problems;
}

/** The outcome of {@link validateUserJson}: `unparsable` with a reason, or the parsed value's problems. */
export type JsonVerdict =
  | { readonly kind: "unparsable"; readonly reason: string }
  | { readonly kind: "parsed"; readonly value: unknown; readonly problems: string[] };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Arrays and objects nest at most this deep in a record value (the job's MAXIMUM_NESTING). */
export const maximumJsonNesting = 64;

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
