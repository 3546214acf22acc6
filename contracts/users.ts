/**
 * The one record contract of the pipeline: a user, as produced to the users topic, read by the
 * Spark job and stored in Cassandra. Everything else (the TypeScript type, the Avro schema, the
 * Spark StructType, the CQL table) is derived from {@link userFields}.
 */

/** The logical kind of a field; each target format maps every kind to one of its own types. */
export type FieldKind = "uuid" | "string" | "int" | "date" | "timestamp";

/** Extra value constraints beyond the kind, checked by {@link validateUser}. */
export type FieldFormat = "email" | "username" | "url" | "phone" | "postcode" | "gender" | "name";

/** One field of the contract. */
export interface FieldDefinition {
  /** Field name, identical in JSON, Avro, Spark and CQL (snake_case). */
  readonly name: string;
  /** Logical kind; see {@link FieldKind}. */
  readonly kind: FieldKind;
  /** Human description, copied into the Avro `doc`. */
  readonly doc: string;
  /** Optional value format, checked by {@link validateUser}. */
  readonly format?: FieldFormat;
}

/** Contract version; bump it with any field change (it is written into the Avro schema doc). */
export const userContractVersion = 1;

/** Avro record name and namespace (the Schema Registry subject is `<topic>-value`). */
export const userRecordName = "User";
/** Avro namespace of the user record. */
export const userRecordNamespace = "io.datapipeline.users";
/** The field that is the Kafka message key and the Cassandra primary key. */
export const userKeyField = "id";
/** Allowed values of the `gender` field. */
export const userGenders = ["female", "male"] as const;

/** The fields of a user record, in wire order. Every field is required (never null). */
export const userFields = [
  { name: "id", kind: "uuid", doc: "User id (UUID), unique per record; Kafka key and Cassandra primary key" },
  { name: "first_name", kind: "string", format: "name", doc: "Given name" },
  { name: "last_name", kind: "string", format: "name", doc: "Family name" },
  { name: "gender", kind: "string", format: "gender", doc: "One of: female, male" },
  { name: "street_number", kind: "int", doc: "House number, 1..99999" },
  { name: "street_name", kind: "string", doc: "Street name" },
  { name: "city", kind: "string", doc: "City" },
  { name: "state", kind: "string", doc: "State or region" },
  { name: "postcode", kind: "string", format: "postcode", doc: "Postal code (text: may have leading zeros)" },
  { name: "country", kind: "string", doc: "Country name" },
  { name: "email", kind: "string", format: "email", doc: "E-mail address" },
  { name: "username", kind: "string", format: "username", doc: "Login name: [a-z0-9._]{3,40}" },
  { name: "dob", kind: "date", doc: "Date of birth (18 to 90 years before event_time)" },
  {
    name: "registered_at",
    kind: "timestamp",
    doc: "Registration time (UTC), after dob, not after event_time",
  },
  { name: "phone", kind: "string", format: "phone", doc: "Phone number" },
  { name: "picture", kind: "string", format: "url", doc: "Profile picture URL (https)" },
  { name: "event_time", kind: "timestamp", doc: "Time the record was produced (UTC)" },
] as const satisfies readonly FieldDefinition[];

/** The names of the user record's fields. */
export type UserFieldName = (typeof userFields)[number]["name"];

/** The TypeScript (and JSON) type of a field of the given kind. */
export type TypeOfKind<K extends FieldKind> = K extends "int" ? number : string;

/**
 * A user record as a JavaScript object, which is also its JSON encoding: `dob` is `YYYY-MM-DD`,
 * timestamps are ISO-8601 UTC strings with milliseconds (`2025-01-31T12:00:00.000Z`).
 */
export type User = {
  -readonly [F in (typeof userFields)[number] as F["name"]]: TypeOfKind<F["kind"]>;
};

/** A JSON-serializable Avro schema (the subset used by this contract). */
export interface AvroRecordSchema {
  readonly type: "record";
  readonly name: string;
  readonly namespace: string;
  readonly doc: string;
  readonly fields: readonly { name: string; type: unknown; doc: string }[];
}

/** Avro type of each kind (logical types for uuid, date and timestamp). */
const avroTypeOfKind: Record<FieldKind, unknown> = {
  uuid: { type: "string", logicalType: "uuid" },
  string: "string",
  int: "int",
  date: { type: "int", logicalType: "date" },
  timestamp: { type: "long", logicalType: "timestamp-millis" },
};

/** Cassandra CQL type of each kind. */
const cqlTypeOfKind: Record<FieldKind, string> = {
  uuid: "uuid",
  string: "text",
  int: "int",
  date: "date",
  timestamp: "timestamp",
};

/** Spark SQL type name (as in StructType JSON) of each kind. */
const sparkTypeOfKind: Record<FieldKind, string> = {
  uuid: "string",
  string: "string",
  int: "integer",
  date: "date",
  timestamp: "timestamp",
};

/** The Avro schema of the user record (what is registered under `<topic>-value`). */
export function userAvroSchema(): AvroRecordSchema {
  return {
    type: "record",
    name: userRecordName,
    namespace: userRecordNamespace,
    doc: `A user of the data-pipeline (contract version ${userContractVersion})`,
    fields: userFields.map((field) => ({
      name: field.name,
      type: avroTypeOfKind[field.kind],
      doc: field.doc,
    })),
  };
}

/** Options of {@link userCqlCreateTable}. */
export interface CqlTableOptions {
  /** Keyspace; when omitted the statement is unqualified (run it after `USE <keyspace>`). */
  readonly keyspace?: string;
  /**
   * Table name.
   * @default "users"
   */
  readonly table?: string;
}

const cqlIdentifier = /^[a-z][a-z0-9_]{0,47}$/;

/**
 * The idempotent CQL statement that creates the users table, with `id` as the primary key so a
 * replayed record is an upsert.
 */
export function userCqlCreateTable(options: CqlTableOptions = {}): string {
  const table = options.table ?? "users";
  for (const name of [options.keyspace, table]) {
    if (name !== undefined && !cqlIdentifier.test(name)) {
      throw new Error(
        `Unable to create the CQL table: "${name}" is not a valid identifier. Use lower case letters, digits and _.`,
      );
    }
  }
  const qualified = options.keyspace === undefined ? table : `${options.keyspace}.${table}`;
  const columns = userFields.map((field) => `  ${field.name} ${cqlTypeOfKind[field.kind]},`);
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified} (`,
    ...columns,
    `  PRIMARY KEY (${userKeyField})`,
    ");",
  ].join("\n");
}

/** A Spark StructType in its JSON form (`StructType.fromJson` in PySpark). */
export interface SparkStructType {
  readonly type: "struct";
  readonly fields: readonly {
    name: string;
    type: string;
    nullable: boolean;
    metadata: Record<string, string>;
  }[];
}

/** The Spark schema of the user record, for `from_json` and for validation in the Spark job. */
export function userSparkStructType(): SparkStructType {
  return {
    type: "struct",
    fields: userFields.map((field) => ({
      name: field.name,
      type: sparkTypeOfKind[field.kind],
      nullable: false,
      metadata: {},
    })),
  };
}
