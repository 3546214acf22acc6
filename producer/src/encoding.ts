import * as avro from "avsc";
import type { User } from "../../contracts/users";
import { userAvroSchema, userFields } from "../../contracts/users";
import { formatDate, formatTimestamp } from "./time-format";

/** Wire formats of the record value. */
export type RecordFormat = "json" | "avro";

// eslint-disable-next-line no-control-regex -- JSON must escape control characters
const needsEscape = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;

function quote(text: string): string {
  return needsEscape.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

/**
 * The JSON text of a user, with the contract's field order. Same result as `JSON.stringify(user)`
 * for a record with exactly the contract's fields, about three times faster.
 */
export function encodeUserJson(user: User): string {
  return (
    '{"id":' +
    quote(user.id) +
    ',"first_name":' +
    quote(user.first_name) +
    ',"last_name":' +
    quote(user.last_name) +
    ',"gender":' +
    quote(user.gender) +
    ',"street_number":' +
    JSON.stringify(user.street_number) +
    ',"street_name":' +
    quote(user.street_name) +
    ',"city":' +
    quote(user.city) +
    ',"state":' +
    quote(user.state) +
    ',"postcode":' +
    quote(user.postcode) +
    ',"country":' +
    quote(user.country) +
    ',"email":' +
    quote(user.email) +
    ',"username":' +
    quote(user.username) +
    ',"dob":' +
    quote(user.dob) +
    ',"registered_at":' +
    quote(user.registered_at) +
    ',"phone":' +
    quote(user.phone) +
    ',"picture":' +
    quote(user.picture) +
    ',"event_time":' +
    quote(user.event_time) +
    "}"
  );
}

/** Parses a JSON record value (no validation: see `validateUser` in contracts/validate). */
export function decodeUserJson(value: Buffer | string): unknown {
  return JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
}

const dayMilliseconds = 86_400_000;

/** Avro `date` (int days since the epoch) ⇄ the contract's `YYYY-MM-DD` text. */
class DateTextType extends avro.types.LogicalType {
  override _fromValue(value: number): string {
    return formatDate(value * dayMilliseconds);
  }
  override _toValue(value: unknown): number | undefined {
    if (typeof value !== "string") return undefined;
    const time = Date.parse(`${value}T00:00:00.000Z`);
    return Number.isNaN(time) ? undefined : time / dayMilliseconds;
  }
  override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(type, "int", "logical:date")
      ? (value: unknown) => this._fromValue(value as number)
      : undefined;
  }
}

/** Avro `timestamp-millis` (long) ⇄ the contract's ISO-8601 UTC text. */
class TimestampTextType extends avro.types.LogicalType {
  override _fromValue(value: number): string {
    return formatTimestamp(value);
  }
  override _toValue(value: unknown): number | undefined {
    if (typeof value !== "string") return undefined;
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
  }
  override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(type, "long", "logical:timestamp-millis")
      ? (value: unknown) => this._fromValue(value as number)
      : undefined;
  }
}

/** avsc options that map the contract's logical types to its text forms (a fresh object each call: avsc keeps a registry in it). */
export function userAvroTypeOptions(): Partial<avro.ForSchemaOptions> {
  return { logicalTypes: { date: DateTextType, "timestamp-millis": TimestampTextType } };
}

/** The avsc type of the user record; `toBuffer(user)` / `fromBuffer(buffer)` give a {@link User}. */
export function createUserAvroType(): avro.Type {
  return avro.Type.forSchema(userAvroSchema() as unknown as avro.Schema, userAvroTypeOptions());
}

/** First byte of every Confluent wire-format message. */
export const confluentMagicByte = 0;

/** Size of the Confluent wire-format header: magic byte and 4-byte big-endian schema id. */
export const confluentHeaderSize = 5;

/** Encodes a user in Confluent wire format: magic byte 0, schema id (int32 BE), Avro binary. */
export function encodeConfluentAvro(type: avro.Type, schemaId: number, user: User): Buffer {
  const body = type.toBuffer(user);
  const message = Buffer.allocUnsafe(confluentHeaderSize + body.length);
  message.writeUInt8(confluentMagicByte, 0);
  message.writeUInt32BE(schemaId, 1);
  body.copy(message, confluentHeaderSize);
  return message;
}

/** Decodes a Confluent wire-format message; throws on a wrong magic byte or an unexpected schema id. */
export function decodeConfluentAvro(type: avro.Type, expectedSchemaId: number, message: Buffer): User {
  if (message.length < confluentHeaderSize || message.readUInt8(0) !== confluentMagicByte) {
    throw new Error("Unable to decode the record: it is not in Confluent wire format (magic byte 0).");
  }
  const schemaId = message.readUInt32BE(1);
  if (schemaId !== expectedSchemaId) {
    throw new Error(`Unable to decode the record: schema id ${schemaId}, expected ${expectedSchemaId}.`);
  }
  return { ...(type.fromBuffer(message.subarray(confluentHeaderSize)) as User) };
}

/** Field names in wire order (for consumers that check the shape). */
export const userFieldNames: readonly string[] = userFields.map((field) => field.name);
