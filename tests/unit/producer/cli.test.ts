import test from "ava";
import { environmentVariableOf, parseOptions, UsageError } from "../../../producer/src/options";
import { batchRecordsFor } from "../../../producer/src/run";
import { runCli } from "./cli-runner";

const brokers = ["--brokers", "127.0.0.1:9092"];

test("parseOptions: defaults, flags and PRODUCER_* variables (a flag wins)", (t) => {
  t.deepEqual(parseOptions(brokers, {}), {
    brokers: ["127.0.0.1:9092"],
    topic: "users",
    count: 1000,
    rate: 0,
    duration: 0,
    seed: undefined,
    format: "json",
    schemaRegistry: undefined,
    compression: "none",
    clientId: "data-pipeline-producer",
    connectRetries: 5,
    sasl: undefined,
  });
  const options = parseOptions(["--count", "5", "--format", "avro"], {
    PRODUCER_BROKERS: "kafka:9092, kafka-2:9092",
    PRODUCER_COUNT: "9",
    PRODUCER_SCHEMA_REGISTRY: "http://schema-registry:8081",
    PRODUCER_SEED: "4294967295",
    PRODUCER_COMPRESSION: "gzip",
    PRODUCER_RATE: "2.5",
    PRODUCER_DURATION: "60",
  });
  t.not(options, "help");
  if (options === "help") return;
  t.deepEqual(options.brokers, ["kafka:9092", "kafka-2:9092"]);
  t.is(options.count, 5);
  t.is(options.seed, 4_294_967_295);
  t.is(options.format, "avro");
  t.is(options.compression, "gzip");
  t.is(options.rate, 2.5);
  t.is(options.duration, 60);
  t.is(environmentVariableOf("schema-registry"), "PRODUCER_SCHEMA_REGISTRY");
  t.is(parseOptions(["--help"], {}), "help");
});

test("parseOptions: every bad value is a UsageError naming the flag", (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], {}, /--brokers \(or PRODUCER_BROKERS\) is required/],
    [["--brokers", "no-port"], {}, /--brokers must be HOST:PORT/],
    [[...brokers, "--count=-1"], {}, /--count must be a non-negative integer/],
    [[...brokers, "--count", "1.5"], {}, /--count must be a non-negative integer/],
    [[...brokers], { PRODUCER_RATE: "fast" }, /--rate must be a non-negative number/],
    [[...brokers, "--seed", "4294967296"], {}, /--seed must be .* up to 4294967295/],
    [[...brokers, "--format", "xml"], {}, /--format must be one of json, avro/],
    [[...brokers, "--format", "avro"], {}, /--format avro needs --schema-registry/],
    [[...brokers, "--schema-registry", "registry:8081"], {}, /--schema-registry must be an http\(s\) URL/],
    [[...brokers, "--compression", "zstd"], {}, /--compression must be one of none, gzip/],
    [[...brokers, "--topic", "bad topic"], {}, /--topic must be a Kafka topic name/],
    [[...brokers, "--bogus"], {}, /Unknown option '--bogus'/],
    [[...brokers, "extra"], {}, /Unexpected argument 'extra'/],
  ];
  for (const [argv, environment, message] of cases) {
    t.throws(() => parseOptions(argv, environment), { instanceOf: UsageError, message }, argv.join(" "));
  }
});

test("batch size follows the rate: large at full speed, ~20 sends a second when limited", (t) => {
  t.is(batchRecordsFor(0), 2_000);
  t.is(batchRecordsFor(1_000), 50);
  t.is(batchRecordsFor(1_000_000), 2_000);
  t.is(batchRecordsFor(5), 1);
});

test("CLI: a bad flag prints the error and the usage, exit 2", async (t) => {
  const run = await runCli(["--brokers", "127.0.0.1:9092", "--count", "many"], {});
  t.is(run.status, 2);
  t.regex(run.stderr, /^producer: --count must be a non-negative integer, got "many"\.\n\nUsage: producer/);
  t.is(run.stdout, "");
});

test("CLI: an unknown flag and a missing --brokers exit 2", async (t) => {
  const unknown = await runCli(["--brokers", "127.0.0.1:9092", "--speed", "9"], {});
  t.is(unknown.status, 2);
  t.regex(unknown.stderr, /Unknown option '--speed'/);
  const missing = await runCli([], {});
  t.is(missing.status, 2);
  t.regex(missing.stderr, /--brokers \(or PRODUCER_BROKERS\) is required/);
});

test("CLI: a bad environment value exits 2 like a bad flag", async (t) => {
  const run = await runCli([], { PRODUCER_BROKERS: "127.0.0.1:9092", PRODUCER_FORMAT: "csv" });
  t.is(run.status, 2);
  t.regex(run.stderr, /--format must be one of json, avro, got "csv"/);
});

test("CLI: --help prints the usage, exit 0", async (t) => {
  const run = await runCli(["--help"], {});
  t.is(run.status, 0);
  t.regex(run.stdout, /^Usage: producer --brokers/);
  t.regex(run.stdout, /PRODUCER_SCHEMA_REGISTRY/);
});

test("CLI: an unreachable broker is one clear line on stderr after bounded retries, exit 1", async (t) => {
  const started = Date.now();
  const run = await runCli(["--brokers", "127.0.0.1:1", "--connect-retries", "1"], {}, { timeoutMs: 60_000 });
  t.is(run.status, 1);
  const lines = run.stderr.trim().split("\n");
  t.is(lines.length, 1);
  t.regex(
    lines[0]!,
    /^producer: Unable to connect to Kafka at 127\.0\.0\.1:1 after 1 retries: .*ECONNREFUSED.*Check --brokers/,
  );
  t.is(run.summary, undefined);
  t.true(Date.now() - started < 30_000);
});
