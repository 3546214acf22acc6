import type { FieldFormat, FieldKind, User } from "./users";
import { userFields, userGenders } from "./users";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const emailPattern = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;
const usernamePattern = /^[a-z0-9._]{3,40}$/;
const phonePattern = /^[0-9+()\-. x]{7,30}$/;
const postcodePattern = /^[A-Z0-9][A-Z0-9 -]{1,9}$/;
const namePattern = /^[\p{L}][\p{L}' .-]{0,63}$/u;
const maximumStringLength = 256;

/** Milliseconds in one day. */
const dayMilliseconds = 86_400_000;

function isValidDate(text: string): boolean {
  if (!datePattern.test(text)) return false;
  const parsed = Date.parse(`${text}T00:00:00.000Z`);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === text;
}

function isValidTimestamp(text: string): boolean {
  if (!timestampPattern.test(text)) return false;
  const parsed = Date.parse(text);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString() === text;
}

function isValidUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && url.hostname.includes(".");
  } catch {
    return false;
  }
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
      if (value.length === 0 || value.length > maximumStringLength)
        return `is empty or longer than ${maximumStringLength}`;
      return undefined;
  }
}

function formatError(format: FieldFormat, value: string): string | undefined {
  const checks: Record<FieldFormat, () => boolean> = {
    email: () => emailPattern.test(value),
    username: () => usernamePattern.test(value),
    url: () => isValidUrl(value),
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
    if (!known.has(key)) problems.push(`${key}: is not a field of the contract`);
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
    if (problem !== undefined) problems.push(`${field.name}: ${problem} (${JSON.stringify(fieldValue)})`);
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
