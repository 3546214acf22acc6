import test from "ava";
import * as avro from "avsc";
import { contractArtifacts, staleArtifacts } from "../../../contracts/generate";
import {
  userAvroSchema,
  userCqlCreateTable,
  userFields,
  userKeyField,
  userSparkStructType,
} from "../../../contracts/users";

const fieldNames = userFields.map((field) => field.name);

test("the checked-in artifacts (users.avsc, users.spark.json, users.cql, users.rules.json, the interfaces' JSON and README tables) match their sources", (t) => {
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
