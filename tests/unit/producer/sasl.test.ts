/**
 * The producer's SASL/SCRAM-SHA-512 login: where the username and password come from (never a
 * password flag), the usage errors of a half-given login, and a refusal by Kafka reported in one
 * line naming the brokers and the username, never the password, with its own exit status.
 */
import test from "ava";
import { KafkaJSNonRetriableError, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from "kafkajs";
import { exitStatus, failureStatus } from "../../../producer/src/cli";
import { parseOptions, saslPasswordVariable, usage, UsageError } from "../../../producer/src/options";
import type { ProducerError } from "../../../producer/src/publisher";
import { KafkaRefusedError, Publisher, kafkaRefusal } from "../../../producer/src/publisher";
import { runCli } from "./cli-runner";

const brokers = ["--brokers", "kafka-0:9092,kafka-1:9092"];
const password = "Pa55w0rdNeverPrinted";
const login = { PRODUCER_SASL_USERNAME: "producer", PRODUCER_SASL_PASSWORD: password };

test("parseOptions: the login from PRODUCER_SASL_USERNAME and PRODUCER_SASL_PASSWORD; --sasl-username wins", (t) => {
  const options = parseOptions(brokers, login);
  if (options === "help") return t.fail();
  t.deepEqual(options.sasl, { mechanism: "scram-sha-512", username: "producer", password });
  const flagged = parseOptions([...brokers, "--sasl-username", "other"], login);
  if (flagged === "help") return t.fail();
  t.deepEqual(flagged.sasl, { mechanism: "scram-sha-512", username: "other", password });
  const anonymous = parseOptions(brokers, { PRODUCER_SASL_USERNAME: "", PRODUCER_SASL_PASSWORD: "" });
  if (anonymous === "help") return t.fail();
  t.is(anonymous.sasl, undefined, "empty variables are unset");
  t.is(saslPasswordVariable, "PRODUCER_SASL_PASSWORD");
});

test("parseOptions: half a login or a password flag is a usage error that never shows the password", (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      brokers,
      { PRODUCER_SASL_PASSWORD: password },
      /^PRODUCER_SASL_PASSWORD is set without --sasl-username \(or PRODUCER_SASL_USERNAME\): set both or neither\.$/,
    ],
    [
      [...brokers, "--sasl-username", "producer"],
      {},
      /^--sasl-username \(or PRODUCER_SASL_USERNAME\) needs PRODUCER_SASL_PASSWORD: set both or neither\.$/,
    ],
    [brokers, { PRODUCER_SASL_USERNAME: "producer" }, /needs PRODUCER_SASL_PASSWORD/],
    [
      [...brokers, "--sasl-password", password],
      {},
      /^--sasl-password is not a flag \(the command line shows in ps\): set PRODUCER_SASL_PASSWORD\.$/,
    ],
    [[...brokers, `--sasl-password=${password}`], login, /--sasl-password is not a flag/],
  ];
  for (const [argv, environment, message] of cases) {
    const error = t.throws(() => parseOptions(argv, environment), { instanceOf: UsageError, message });
    t.false(error?.message.includes(password) ?? true);
  }
});

test("usage: the username flag and the password variable, no password flag, exit status 3", (t) => {
  t.regex(usage, /--sasl-username NAME +log in with SASL\/SCRAM-SHA-512 as NAME +\[PRODUCER_SASL_USERNAME\]/);
  t.regex(usage, /the password only from PRODUCER_SASL_PASSWORD, never a flag/);
  t.notRegex(usage, /^\s+--sasl-password/m);
  t.regex(usage, /3 Kafka refused the producer \(its login, or an ACL it lacks\)/);
});

test("CLI: half a login exits 2 with the usage", async (t) => {
  const withoutUsername = await runCli(["--brokers", "127.0.0.1:9092"], { PRODUCER_SASL_PASSWORD: password });
  t.is(withoutUsername.status, 2);
  t.regex(
    withoutUsername.stderr,
    /^producer: PRODUCER_SASL_PASSWORD is set without --sasl-username.*\n\nUsage: /,
  );
  const withoutPassword = await runCli(["--brokers", "127.0.0.1:9092", "--sasl-username", "producer"], {});
  t.is(withoutPassword.status, 2);
  t.regex(
    withoutPassword.stderr,
    /^producer: --sasl-username \(or PRODUCER_SASL_USERNAME\) needs PRODUCER_SASL_PASSWORD/,
  );
  const passwordFlag = await runCli(["--brokers", "127.0.0.1:9092", "--sasl-password", password], {});
  t.is(passwordFlag.status, 2);
  t.false(passwordFlag.stderr.includes(password));
});

// kafkajs's runtime constructors take more than its type declarations say.
type ErrorConstructor = new (message: Error | string, metadata?: { cause?: Error }) => Error;
const NonRetriableError = KafkaJSNonRetriableError as unknown as ErrorConstructor;
const SaslAuthenticationError = KafkaJSSASLAuthenticationError as unknown as ErrorConstructor;

/** kafkajs's errors as its clients throw them: the retrier's wrapper with the failure as its cause. */
function wrapped(error: Error): Error {
  return new NonRetriableError(error, { cause: error });
}

const scramFailure = new SaslAuthenticationError(
  "SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
);
const topicDenied = new KafkaJSProtocolError("Not authorized to access topics: [Topic authorization failed]");
Object.assign(topicDenied, { type: "TOPIC_AUTHORIZATION_FAILED" });

test("kafkaRefusal: a failed login or a missing ACL anywhere in kafkajs's error chain", (t) => {
  t.is(kafkaRefusal(scramFailure), "authentication");
  t.is(kafkaRefusal(wrapped(scramFailure)), "authentication");
  const handshake = Object.assign(new KafkaJSProtocolError("Unsupported SASL mechanism"), {
    type: "UNSUPPORTED_SASL_MECHANISM",
  });
  t.is(kafkaRefusal(wrapped(handshake)), "authentication");
  t.is(kafkaRefusal(wrapped(topicDenied)), "authorization");
  t.is(kafkaRefusal(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092")), undefined);
  t.is(kafkaRefusal(undefined), undefined);
});

/** A Publisher whose start-up admin and producer fail as given (no broker needed). */
function failingPublisher(
  sasl: boolean,
  failures: { admin?: Error; producer?: Error; send?: Error },
): Publisher {
  const publisher = new Publisher({
    brokers: ["kafka-0:9092", "kafka-1:9092"],
    topic: "users_created",
    ...(sasl ? { sasl: { mechanism: "scram-sha-512", username: "producer", password } } : {}),
  });
  const fail = (error: Error | undefined) => async () => {
    if (error !== undefined) throw error;
  };
  Object.assign(publisher, {
    startupKafka: {
      admin: () => ({
        connect: fail(failures.admin),
        listTopics: async () => ["users_created"],
        fetchTopicMetadata: async () => ({ topics: [{ partitions: [{}, {}, {}] }] }),
        disconnect: async () => undefined,
      }),
    },
    producer: {
      connect: fail(failures.producer),
      send: fail(failures.send),
      disconnect: async () => undefined,
    },
  });
  return publisher;
}

test("Publisher: a refused login is one line naming the brokers and the username, never the password", async (t) => {
  const error = await t.throwsAsync(failingPublisher(true, { admin: wrapped(scramFailure) }).connect(), {
    instanceOf: KafkaRefusedError,
  });
  t.is(
    error?.message,
    'Unable to log in to Kafka at kafka-0:9092,kafka-1:9092 as "producer" (SASL/SCRAM-SHA-512): ' +
      "SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid " +
      "credentials with SASL mechanism SCRAM-SHA-512. Check --sasl-username (or PRODUCER_SASL_USERNAME) and " +
      "PRODUCER_SASL_PASSWORD.",
  );
  t.false(error?.message.includes(password));
  t.false(error?.message.includes("\n"));
  t.is(failureStatus(error!), exitStatus.refused);
  t.is(exitStatus.refused, 3);
});

test("Publisher: a missing ACL names the principal and the topic; other failures keep exit status 1", async (t) => {
  const publisher = failingPublisher(true, { send: wrapped(topicDenied) });
  await publisher.connect();
  const denied = await t.throwsAsync(
    publisher.send({
      bytes: new Uint8Array(4),
      offsets: Uint32Array.of(0, 1, 2, 3, 4),
      records: 2,
      firstIndex: 0,
    }),
    { instanceOf: KafkaRefusedError },
  );
  t.regex(
    denied?.message ?? "",
    /^Kafka at kafka-0:9092,kafka-1:9092 denied "producer" \(SASL\/SCRAM-SHA-512\) writing to topic "users_created": Not authorized to access topics: \[Topic authorization failed\]\. Check the principal's ACLs \(Write and Describe on topic "users_created"\)\.$/,
  );
  t.is(failureStatus(denied!), 3);
  const unreachable = await t.throwsAsync(
    failingPublisher(false, { admin: new Error("Connection error: connect ECONNREFUSED") }).connect(),
  );
  t.false(unreachable instanceof KafkaRefusedError);
  t.regex(unreachable?.message ?? "", /and whether they require a login: --sasl-username\)\.$/);
  t.is(failureStatus(unreachable as ProducerError), exitStatus.failure);
});
