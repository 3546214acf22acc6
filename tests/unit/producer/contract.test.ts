import test from "ava";
import * as avro from "avsc";
import { contractArtifacts, staleArtifacts } from "../../../contracts/generate";
import type { User } from "../../../contracts/users";
import {
  userAvroSchema,
  userCqlCreateTable,
  userFields,
  userKeyField,
  userSparkStructType,
} from "../../../contracts/users";
import { validateUser } from "../../../contracts/validate";

const fieldNames = userFields.map((field) => field.name);

const sample: User = {
  id: "0b6e4f9a-7c1d-4e2a-9f3b-2d5c8e1a4b7f",
  first_name: "Zoë",
  last_name: "O'Hara",
  gender: "female",
  street_number: 12,
  street_name: "Main Street",
  city: "Springfield",
  state: "Oregon",
  postcode: "97477",
  country: "United States",
  email: "zoe.ohara12@example.com",
  username: "zoe.ohara12",
  dob: "1990-02-28",
  registered_at: "2015-06-01T10:00:00.000Z",
  phone: "+15415550123",
  picture: "https://cdn.jsdelivr.net/gh/faker-js/assets-person-portrait/female/512/12.jpg",
  event_time: "2025-01-01T00:00:00.000Z",
};

test("the checked-in artifacts (users.avsc, users.spark.json, users.cql, the interfaces' JSON and README tables) match their sources", (t) => {
  t.deepEqual(staleArtifacts(), [], "run: npx tsx contracts/generate.ts");
});

test("the Avro schema is valid Avro with every contract field, in order", (t) => {
  const type = avro.Type.forSchema(
    JSON.parse(contractArtifacts()["users.avsc"]!) as avro.Schema,
  ) as avro.types.RecordType;
  t.deepEqual(
    type.fields.map((field) => field.name),
    fieldNames,
  );
  t.is(userAvroSchema().fields.length, userFields.length);
});

test("the CQL table has one column per field, typed, with the id as the primary key", (t) => {
  const cql = userCqlCreateTable({ keyspace: "pipeline", table: "users" });
  t.true(cql.startsWith("CREATE TABLE IF NOT EXISTS pipeline.users ("));
  const columns = [...cql.matchAll(/^ {2}([a-z_]+) ([a-z]+),$/gm)].map((match) => [match[1], match[2]]);
  t.deepEqual(
    columns.map(([name]) => name),
    fieldNames,
  );
  t.deepEqual(Object.fromEntries(columns), {
    ...Object.fromEntries(fieldNames.map((name) => [name, "text"])),
    id: "uuid",
    street_number: "int",
    dob: "date",
    registered_at: "timestamp",
    event_time: "timestamp",
  });
  t.regex(cql, new RegExp(`PRIMARY KEY \\(${userKeyField}\\)`));
  t.throws(() => userCqlCreateTable({ keyspace: "bad-name" }), { message: /not a valid identifier/ });
});

test("the Spark StructType has the same fields, non-nullable, with Spark type names", (t) => {
  const struct = userSparkStructType();
  t.is(struct.type, "struct");
  t.deepEqual(
    struct.fields.map((field) => field.name),
    fieldNames,
  );
  t.true(struct.fields.every((field) => !field.nullable));
  const types = Object.fromEntries(struct.fields.map((field) => [field.name, field.type]));
  t.is(types.street_number, "integer");
  t.is(types.dob, "date");
  t.is(types.event_time, "timestamp");
  t.is(types.id, "string");
});

test("validateUser accepts a valid record", (t) => {
  t.deepEqual(validateUser(sample), []);
});

test("validateUser names each problem", (t) => {
  const problems = (patch: Record<string, unknown>): string[] => validateUser({ ...sample, ...patch });
  t.regex(problems({ id: "not-a-uuid" }).join(), /^id: is not a lower-case UUID/);
  t.regex(problems({ email: "no-at-sign" }).join(), /^email: is not a valid email/);
  t.regex(problems({ dob: "1990-02-30" }).join(), /^dob: is not a YYYY-MM-DD date/);
  t.regex(problems({ dob: "2020-01-01" }).join(), /^dob: age .* outside 18\.\.90/);
  t.regex(
    problems({ registered_at: "2025-02-01T00:00:00.000Z" }).join(),
    /registered_at: is after event_time/,
  );
  t.regex(problems({ gender: "other" }).join(), /^gender: is not a valid gender/);
  t.regex(problems({ picture: "http://example.com/a.jpg" }).join(), /^picture: is not a valid url/);
  t.regex(problems({ street_number: 1.5 }).join(), /^street_number: is not a 32-bit integer/);
  t.regex(problems({ extra: 1 }).join(), /^extra: is not a field of the contract/);
  const { city: _city, ...withoutCity } = sample;
  t.deepEqual(validateUser(withoutCity), ["city: is missing"]);
  t.deepEqual(validateUser("text"), ["record is not an object"]);
});
