import test from "ava";
import * as avro from "avsc";
import { userAvroSchema } from "../../../contracts/users";
import { validateUser } from "../../../contracts/validate";
import { UserGenerator, defaultReferenceTime } from "../../../producer/src/generator";
import { Random } from "../../../producer/src/random";
import { formatDate, formatTimestamp } from "../../../producer/src/time-format";

const count = 10_000;

test("10,000 generated records are all valid against the contract, Avro schema included", (t) => {
  const generator = new UserGenerator({ seed: 20_251_125 });
  const schema = avro.Type.forSchema(userAvroSchema() as unknown as avro.Schema);
  const ids = new Set<string>();
  const problems: string[] = [];
  for (let index = 0; index < count; index++) {
    const user = generator.next();
    ids.add(user.id);
    for (const problem of validateUser(user)) problems.push(`record ${index}: ${problem}`);
    const avroRecord = {
      ...user,
      dob: Date.parse(`${user.dob}T00:00:00.000Z`) / 86_400_000,
      registered_at: Date.parse(user.registered_at),
      event_time: Date.parse(user.event_time),
    };
    if (!schema.isValid(avroRecord))
      problems.push(`record ${index}: not valid Avro: ${JSON.stringify(user)}`);
  }
  t.deepEqual(problems.slice(0, 10), []);
  t.is(ids.size, count, "ids are unique");
  t.is(generator.generated, count);
});

test("records vary: names, countries, genders and domains are spread", (t) => {
  const generator = new UserGenerator({ seed: 3 });
  const users = Array.from({ length: 2_000 }, () => generator.next());
  t.true(new Set(users.map((user) => user.country)).size >= 6);
  t.true(new Set(users.map((user) => user.last_name)).size >= 500);
  t.true(new Set(users.map((user) => user.email)).size >= 1_990);
  const females = users.filter((user) => user.gender === "female").length;
  t.true(females > 850 && females < 1_150);
  t.true(users.every((user) => user.picture.includes(`/${user.gender}/`)));
});

test("the same seed gives the same records; another seed gives others", (t) => {
  const make = (seed: number): string[] => {
    const generator = new UserGenerator({ seed, eventTime: "sequence" });
    return Array.from({ length: 500 }, () => JSON.stringify(generator.next()));
  };
  t.deepEqual(make(42), make(42));
  const other = make(43);
  t.notDeepEqual(make(42), other);
  t.is(new Set([...make(42), ...other]).size, 1_000);
});

test("sequence event times start at the reference time and advance 1 ms per record", (t) => {
  const generator = new UserGenerator({ seed: 1, eventTime: "sequence" });
  t.is(generator.next().event_time, new Date(defaultReferenceTime).toISOString());
  t.is(generator.next().event_time, new Date(defaultReferenceTime + 1).toISOString());
});

test("clock event times are the wall clock", (t) => {
  const before = Date.now();
  const user = new UserGenerator({ seed: 1 }).next();
  const time = Date.parse(user.event_time);
  t.true(time >= before && time <= Date.now());
});

test("fast date formatting matches toISOString", (t) => {
  const random = new Random(9);
  for (let attempt = 0; attempt < 5_000; attempt++) {
    const time = Date.UTC(1930, 0, 1) + Math.floor(random.float() * 120 * 365.25 * 86_400_000);
    t.is(formatTimestamp(time), new Date(time).toISOString());
    t.is(formatDate(time), new Date(time).toISOString().slice(0, 10));
  }
  t.is(formatTimestamp(-1), "1969-12-31T23:59:59.999Z");
});

test("UUIDs are version 4, RFC 9562 variant", (t) => {
  const random = new Random(5);
  for (let attempt = 0; attempt < 1_000; attempt++) {
    t.regex(random.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});
