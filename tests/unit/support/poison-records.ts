/**
 * fast-check arbitraries of Kafka record values that try to break a users-topic consumer: arbitrary
 * bytes, arbitrary JSON documents, and valid users (from the producer's generator) mutated field by
 * field and byte by byte. Shared by the property tests of validateUser and the differential test
 * against the Spark job's decoder.
 */
import fc from "fast-check";
import type { User } from "../../../contracts/users";
import { userFields } from "../../../contracts/users";
import { UserGenerator } from "../../../producer/src/generator";

const encoder = new TextEncoder();

/** Valid users as the producer makes them (seeded, so a failing seed replays). */
const validUsers: readonly User[] = (() => {
  const generator = new UserGenerator({ seed: 11 });
  return Array.from({ length: 200 }, () => generator.next());
})();

/** Single UTF-16 code units: lone surrogates included (what a string cut inside an emoji holds). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Characters that look alike, combine, hide or break: the alphabet of tricky names and keys. */
const trickyCharacter = fc.oneof(
  fc.constantFrom(
    "a",
    "Z",
    "é",
    "e\u0301",
    "\u0308",
    "प",
    "्",
    "र",
    "ि",
    "य",
    "ा",
    "Ω",
    "ß",
    "ǅ",
    "ー",
    "字",
    "'",
    "-",
    ".",
    " ",
    "\u00a0",
    "\u200d",
    "\u200b",
    "\ufeff",
    "\u202e",
    "\u0000",
    "\n",
    "\u007f",
    "\u0085",
    "\u2028",
    "0",
    "٣",
    "²",
    "_",
    "😀",
    "\ud83d",
    "\ude00",
    "𝅥",
    "\u{e000}",
    "\u{10ffff}",
    "\\",
    '"',
    ":",
    ";",
    "\u0378",
  ),
  codeUnit,
  fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
);

/** Strings over the tricky alphabet, up to 70 characters (names allow 64). */
export const trickyString = fc.array(trickyCharacter, { maxLength: 70 }).map((parts) => parts.join(""));

/** Numbers at and beyond every bound a consumer has: 32-bit, 2^53, doubles, huge literals. */
const trickyNumberText = fc.oneof(
  fc.constantFrom(
    "0",
    "-0",
    "1",
    "99999",
    "100000",
    "2147483647",
    "2147483648",
    "-2147483649",
    "1e400",
    "-1e400",
    "1.5",
    "5.0",
    "1E2",
    "9007199254740993",
    "NaN",
    "Infinity",
    "-Infinity",
    "1".repeat(5_000),
    `-${"9".repeat(400)}`,
    "0.1e-400",
    "1e-7",
  ),
  fc.double().map((value) => (Number.isFinite(value) ? String(value) : "0")),
  fc.bigInt().map((value) => value.toString()),
);

/** Dates and timestamps near the contract's bounds and outside the calendar. */
const trickyTemporal = fc.oneof(
  fc.constantFrom(
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "2020-02-29",
    "2021-02-29",
    "2020-02-30",
    "1990-13-01",
    "1990-00-10",
    "١٩٩٠-٠١-٠١",
    "1990-1-1",
    "1990-01-01T00:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "2025-01-01T24:00:00.000Z",
    "2025-01-01T23:59:60.000Z",
    "2025-01-01T00:00:00Z",
    "2025-01-01T00:00:00.000+00:00",
    "2025-01-01 00:00:00.000Z",
  ),
  fc
    .integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 })
    .map((time) => new Date(time).toISOString()),
  fc
    .integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 })
    .map((time) => new Date(time).toISOString().slice(0, 10)),
);

/** A dob close to the 18- and 90-year bounds of an event time (whole days either side). */
function dobNearBound(eventTime: string, years: number, days: number): string {
  const time = Date.parse(eventTime) - years * 365.25 * 86_400_000 + days * 86_400_000;
  const moment = new Date(time);
  // An event_time mutated earlier may not be a time at all.
  return Number.isNaN(moment.getTime()) ? "1990-01-01" : moment.toISOString().slice(0, 10);
}

type Mutation = (user: Record<string, unknown>) => Record<string, unknown>;

const fieldName = fc.constantFrom(...userFields.map((field) => field.name));

const valueMutation: fc.Arbitrary<Mutation> = fc.oneof<fc.Arbitrary<Mutation>[]>(
  fc
    .tuple(fieldName, fc.jsonValue())
    .map(([name, value]) => (user: Record<string, unknown>) => ({ ...user, [name]: value })),
  fc
    .tuple(fieldName, trickyString)
    .map(([name, value]) => (user: Record<string, unknown>) => ({ ...user, [name]: value })),
  fc
    .tuple(fieldName, fc.array(codeUnit, { maxLength: 8 }), fc.boolean())
    .map(([name, units, before]) => (user: Record<string, unknown>) => {
      const original = String(user[name] ?? "");
      const extra = units.join("");
      return { ...user, [name]: before ? extra + original : original + extra };
    }),
  fc
    .tuple(fieldName, trickyTemporal)
    .map(([name, value]) => (user: Record<string, unknown>) => ({ ...user, [name]: value })),
  fc
    .tuple(fc.constantFrom(18, 90), fc.integer({ min: -2, max: 2 }))
    .map(([years, days]) => (user: Record<string, unknown>) => ({
      ...user,
      dob: dobNearBound(String(user.event_time), years, days),
    })),
  fieldName.map((name) => (user: Record<string, unknown>) => {
    const copy = { ...user };
    delete copy[name];
    return copy;
  }),
  fc
    .tuple(trickyString, fc.jsonValue())
    .map(([key, value]) => (user: Record<string, unknown>) => ({ ...user, [key]: value })),
  fc.constantFrom<Mutation>(
    (user) => ({ ...user, first_name: "Ada\ud83d" }),
    (user) => ({ ...user, email: "not-an-email\ud83d" }),
    (user) => ({ ...user, "\ud83d": 1 }),
    (user) => ({ ...user, first_name: "प्रिया" }),
    (user) => ({ ...user, first_name: "Zoe\u0308" }),
    (user) => ({ ...user, last_name: "\u0308Zoe" }),
  ),
);

/** Edits of the JSON text itself: what no JSON.stringify writes but a producer in any language may. */
const textMutation: fc.Arbitrary<(text: string) => string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant((text: string) => text) },
  fc.constant((text: string) => `\ufeff${text}`),
  fc.constant((text: string) => text.replace(/"street_number":[^,]*/, '"street_number":NaN')),
  fc.constant((text: string) => `{"first_name":"Dup",${text.slice(1)}`),
  fc.constant((text: string) => text.replace(/}$/, ',"first_name":"Dup\\ud83d"}')),
  fc.constant((_text: string) => `${"[".repeat(2_000)}${"]".repeat(2_000)}`),
  // 64 levels parse (the bound), 65 do not.
  fc
    .constantFrom(63, 64)
    .map((levels) => (text: string) => `${'{"a":'.repeat(levels)}${text}${"}".repeat(levels)}`),
  trickyNumberText.map(
    (number) => (text: string) => text.replace(/"street_number":[^,]*/, `"street_number":${number}`),
  ),
  fc.nat().map((cut) => (text: string) => text.slice(0, cut % (text.length + 1))),
  fc.tuple(fc.nat(), codeUnit).map(([at, unit]) => (text: string) => {
    const index = at % (text.length + 1);
    return text.slice(0, index) + unit + text.slice(index);
  }),
);

/** Byte-level damage after encoding: a flipped byte, an invalid UTF-8 sequence. */
const byteMutation: fc.Arbitrary<(bytes: Uint8Array) => Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.constant((bytes: Uint8Array) => bytes) },
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => (bytes: Uint8Array) => {
    const copy = Uint8Array.from(bytes);
    if (copy.length > 0) copy[at % copy.length] = byte;
    return copy;
  }),
  fc.constant((bytes: Uint8Array) => Uint8Array.from([...bytes, 0xed, 0xa0, 0xbd])),
);

/** A valid user with 0-3 value mutations, then text and byte edits of its JSON form. */
export const mutatedUserValue: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.constantFrom(...validUsers),
    fc.array(valueMutation, { maxLength: 3 }),
    textMutation,
    byteMutation,
  )
  .map(([user, mutations, editText, editBytes]) => {
    const record = mutations.reduce<Record<string, unknown>>((current, mutate) => mutate(current), {
      ...user,
    });
    return editBytes(encoder.encode(editText(JSON.stringify(record))));
  });

/** Any JSON document (objects, arrays, scalars, strings with any code unit), as bytes. */
export const jsonDocumentValue: fc.Arbitrary<Uint8Array> = fc
  .oneof(fc.jsonValue(), fc.dictionary(trickyString, fc.jsonValue()), trickyString)
  .map((value) => encoder.encode(JSON.stringify(value)));

/** Arbitrary bytes. */
export const arbitraryBytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 300 });

/** Valid users as the JS objects a producer sends, mutated (no text or byte edits). */
export const mutatedUserObject: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(...validUsers), fc.array(valueMutation, { maxLength: 3 }))
  .map(([user, mutations]) =>
    mutations.reduce<Record<string, unknown>>((current, mutate) => mutate(current), { ...user }),
  );
