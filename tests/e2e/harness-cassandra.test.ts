import test from "ava";
import type { types } from "cassandra-driver";
import { Client, auth, errors } from "cassandra-driver";
import type { Harness } from "../harness";
import { cassandraClientOptions, createKeyspace, startServices } from "../harness";

let harness: Harness<"cassandra"> | undefined;

test.before(async () => {
  harness = await startServices({ services: ["cassandra"] });
});

test.after.always(async () => {
  await harness?.stop();
});

function started(): Harness<"cassandra"> {
  if (!harness) throw new Error("harness did not start");
  return harness;
}

test.serial("a wrong password is refused with an authentication error", async (t) => {
  const { cassandra } = started();
  const client = new Client({
    ...cassandraClientOptions(cassandra),
    authProvider: new auth.PlainTextAuthProvider(cassandra.username, `${cassandra.password}-wrong`),
  });
  try {
    const error = (await t.throwsAsync(client.connect(), { any: true })) as Error | undefined;
    const inner = error instanceof errors.NoHostAvailableError ? Object.values(error.innerErrors) : [error];
    t.true(
      inner.some((cause) => cause instanceof errors.AuthenticationError),
      `expected an AuthenticationError, got ${String(error?.message)}`,
    );
  } finally {
    await client.shutdown();
  }
});

test.serial("no credentials at all are refused", async (t) => {
  const { cassandra } = started();
  const { authProvider: _ignored, ...withoutCredentials } = cassandraClientOptions(cassandra);
  const client = new Client(withoutCredentials);
  try {
    await t.throwsAsync(client.connect(), { any: true });
  } finally {
    await client.shutdown();
  }
});

test.serial("the harness superuser creates a keyspace and a table, inserts and selects rows", async (t) => {
  const { cassandra, uniqueName } = started();
  const keyspace = uniqueName("selftest");
  await createKeyspace(cassandra, keyspace);
  const client = new Client(cassandraClientOptions(cassandra, keyspace));
  try {
    await client.connect();
    await client.execute("CREATE TABLE users (id text PRIMARY KEY, name text, age int, created timestamp)");
    const rows = Array.from({ length: 25 }, (_, index) => ({
      id: `user-${index}`,
      name: `Name ${index}`,
      age: 20 + index,
      created: new Date(Date.UTC(2025, 0, 1 + index)),
    }));
    for (const row of rows) {
      await client.execute("INSERT INTO users (id, name, age, created) VALUES (?, ?, ?, ?)", row, {
        prepare: true,
      });
    }
    const count = await client.execute("SELECT count(*) AS total FROM users");
    t.is((count.first().get("total") as types.Long).toNumber(), rows.length);
    const selected = await client.execute("SELECT name, age, created FROM users WHERE id = ?", ["user-7"], {
      prepare: true,
    });
    t.deepEqual(
      { name: selected.first().get("name"), age: selected.first().get("age") },
      { name: "Name 7", age: 27 },
    );
    t.is((selected.first().get("created") as Date).toISOString(), "2025-01-08T00:00:00.000Z");
    const release = await client.execute("SELECT release_version FROM system.local");
    t.regex(String(release.first().get("release_version")), /^5\.0\./);
  } finally {
    await client.shutdown();
  }
});

test.serial("the node runs the deployed memtables: every table's default is the trie memtable", async (t) => {
  const { cassandra } = started();
  const client = new Client(cassandraClientOptions(cassandra));
  try {
    const settings = await client.execute("SELECT value FROM system_views.settings WHERE name = ?", [
      "memtable.configurations",
    ]);
    // Cassandra prints the parsed configurations, e.g. {default=trie+, skiplist=SkipListMemtable, trie=TrieMemtable}.
    const value = String(settings.first()?.get("value"));
    t.regex(value, /\bdefault=trie\+?[,}]/);
    t.regex(value, /\btrie=TrieMemtable\b/);
  } finally {
    await client.shutdown();
  }
});

test.serial("authorization is on: a login role without grants cannot read the keyspace", async (t) => {
  const { cassandra, uniqueName } = started();
  const keyspace = uniqueName("authz");
  await createKeyspace(cassandra, keyspace);
  const admin = new Client(cassandraClientOptions(cassandra, keyspace));
  const role = uniqueName("reader");
  try {
    await admin.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
    await admin.execute(`CREATE ROLE ${role} WITH PASSWORD = 'reader-password' AND LOGIN = true`);
  } finally {
    await admin.shutdown();
  }
  const reader = new Client({
    ...cassandraClientOptions(cassandra),
    authProvider: new auth.PlainTextAuthProvider(role, "reader-password"),
  });
  try {
    const error = (await t.throwsAsync(reader.execute(`SELECT * FROM ${keyspace}.notes`), { any: true })) as
      Error | undefined;
    t.regex(String(error?.message), /permission/i);
  } finally {
    await reader.shutdown();
  }
});
