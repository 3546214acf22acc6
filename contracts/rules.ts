/**
 * Every rule of the users record, as data: what {@link validateUser} (contracts/validate.ts)
 * interprets, and what `npx tsx contracts/generate.ts` writes to contracts/users.rules.json for the
 * Spark job, which reads the same rules instead of a copy of them.
 *
 * Patterns are unanchored and always match the whole value. They use the subset of regular
 * expression syntax that JavaScript (with the `u` flag), Python's `regex` module and Java read
 * alike: literal characters, character classes with ranges, `\xHH`, `\p{L}`-style Unicode general
 * categories, `(?:…)`, `|`, `?`, `*`, `+` and `{m,n}`. No `\d`, `\w` or `\s`: their meaning
 * differs between the three.
 */
import { userFields, userGenders, type FieldFormat, type FieldKind } from "./users";

/** How a kind is checked: the JSON type it must have, then its own rule. */
export interface KindRule {
  /** The JSON type the value must have. */
  readonly json: "string" | "number";
  /** The problem when the value is not of this kind. */
  readonly message: string;
  /** The value must match this (whole-value) pattern. */
  readonly pattern?: string;
  /**
   * The value must also be a real calendar date (`date`: `YYYY-MM-DD`) or instant (`timestamp`:
   * `YYYY-MM-DDTHH:MM:SS.sssZ`, UTC), years 0001–9999.
   */
  readonly calendar?: "date" | "timestamp";
  /** The value must be an integer (a JSON number with no fraction: 5 and 5.0 alike) in this range. */
  readonly integer?: { readonly min: number; readonly max: number };
}

/** How a format is checked (on a value already of kind `string`). */
export interface FormatRule {
  readonly pattern?: string;
  /** The value must be one of these. */
  readonly oneOf?: readonly string[];
  /** The value must hold at least this many ASCII digits. */
  readonly minDigits?: number;
}

/** A rule over several fields, checked only when every field is present and of its kind. */
export type RecordRule =
  | {
      /** Years from `from` (a date, at 00:00 UTC) to `to` (a timestamp), in 365.25-day years. */
      readonly rule: "yearsBetween";
      readonly field: string;
      readonly from: string;
      readonly to: string;
      readonly min: number;
      readonly max: number;
      /** `{years}` is replaced by the years with two decimals, `{min}` and `{max}` by the bounds. */
      readonly message: string;
    }
  | {
      /** `field`'s instant is later than `than`'s (a date counts as its 00:00 UTC). */
      readonly rule: "after";
      readonly field: string;
      readonly than: string;
      readonly message: string;
    }
  | {
      /** `field`'s instant is not later than `than`'s. */
      readonly rule: "notAfter";
      readonly field: string;
      readonly than: string;
      readonly message: string;
    }
  | {
      /** `field` (an int) is within min..max. */
      readonly rule: "range";
      readonly field: string;
      readonly min: number;
      readonly max: number;
      /** `{min}` and `{max}` are replaced by the bounds. */
      readonly message: string;
    };

/** The whole rule set of a record. */
export interface RecordRules {
  /** Bumped with any change of a rule or message (the job logs it). */
  readonly version: number;
  /** The fields in wire order, with kind and format (from contracts/users.ts). */
  readonly fields: readonly {
    readonly name: string;
    readonly kind: FieldKind;
    readonly format?: FieldFormat;
  }[];
  readonly messages: {
    /** The whole value is not a JSON object. */
    readonly notObject: string;
    /** A key that is not a field (after the key, as `key: message`). */
    readonly unknownField: string;
    /** A field that is absent or null. */
    readonly missing: string;
    /** A format check failed; `{format}` is the format's name. */
    readonly format: string;
    /** A string holds a lone UTF-16 surrogate (not Unicode text: Cassandra's text cannot store it). */
    readonly loneSurrogate: string;
    /** A string is empty or longer than `strings.maxLength` (`{maxLength}`). */
    readonly length: string;
  };
  readonly strings: {
    /** In UTF-16 code units, as JavaScript's String.length counts. */
    readonly maxLength: number;
  };
  readonly kinds: Readonly<Record<FieldKind, KindRule>>;
  readonly formats: Readonly<Record<FieldFormat, FormatRule>>;
  /** Checked in this order, and only when no field has a problem. */
  readonly recordRules: readonly RecordRule[];
  /** How a problem quotes the value: `field: message (quoted value)`. */
  readonly reasons: {
    /** Code points of the quoted value kept. */
    readonly valueLength: number;
    /**
     * Characters the quote writes as `\uXXXX` escapes (UTF-16 units), except `keep`: marks,
     * controls, format characters, surrogates, private-use and unassigned code points and
     * separators, so that values that read the same (NFD "Zoë" and NFC "Zoë") are told apart.
     */
    readonly escaped: string;
    readonly keep: string;
  };
  readonly json: {
    /** Arrays and objects nest at most this deep in a record value. */
    readonly maxNesting: number;
  };
}

/** The rules of the users record. */
export const userRules = {
  version: 1,
  fields: userFields.map(({ name, kind, ...rest }) => ({
    name,
    kind,
    ...("format" in rest ? { format: rest.format } : {}),
  })),
  messages: {
    notObject: "record is not an object",
    unknownField: "is not a field of the contract",
    missing: "is missing",
    format: "is not a valid {format}",
    loneSurrogate: "is not valid Unicode text (lone surrogate)",
    length: "is empty or longer than {maxLength}",
  },
  strings: { maxLength: 256 },
  kinds: {
    string: { json: "string", message: "is not a string" },
    int: {
      json: "number",
      integer: { min: -2_147_483_648, max: 2_147_483_647 },
      message: "is not a 32-bit integer",
    },
    uuid: {
      json: "string",
      pattern: "[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
      message: "is not a lower-case UUID",
    },
    date: {
      json: "string",
      pattern: "[0-9]{4}-[0-9]{2}-[0-9]{2}",
      calendar: "date",
      message: "is not a YYYY-MM-DD date",
    },
    timestamp: {
      json: "string",
      pattern: "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z",
      calendar: "timestamp",
      message: "is not an ISO-8601 UTC timestamp with milliseconds",
    },
  },
  formats: {
    email: { pattern: "[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?@[a-z0-9-]+(?:[.][a-z0-9-]+)*[.][a-z]{2,}" },
    username: { pattern: "[a-z0-9._]{3,40}" },
    // An https URL with a dotted host name, spelled out as a pattern (not a URL parser's leniency,
    // which differs between WHATWG, Python's urlsplit and java.net.URI): ASCII only, no spaces,
    // optional port and path.
    url: { pattern: "https://[A-Za-z0-9-]+(?:[.][A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][\\x21-\\x7e]*)?" },
    phone: { pattern: "[0-9+()\\-. x]{7,30}", minDigits: 3 },
    postcode: { pattern: "[A-Z0-9][A-Z0-9 -]{1,9}" },
    gender: { oneOf: userGenders },
    // Letters of every script with their combining marks (Devanagari "प्रिया", a decomposed "Zoë").
    name: { pattern: "\\p{L}[\\p{L}\\p{M}' .-]{0,63}" },
  },
  recordRules: [
    {
      rule: "yearsBetween",
      field: "dob",
      from: "dob",
      to: "event_time",
      min: 18,
      max: 90,
      message: "age {years} years is outside {min}..{max}",
    },
    { rule: "after", field: "registered_at", than: "dob", message: "is not after dob" },
    { rule: "notAfter", field: "registered_at", than: "event_time", message: "is after event_time" },
    { rule: "range", field: "street_number", min: 1, max: 99_999, message: "is outside {min}..{max}" },
  ],
  reasons: { valueLength: 80, escaped: "[\\p{M}\\p{C}\\p{Z}]", keep: " " },
  json: { maxNesting: 64 },
} as const satisfies RecordRules;
