import { parseArgs } from "node:util";
import type { RecordFormat } from "./encoding";
import type { CompressionName, SaslCredentials } from "./publisher";

/** Everything a producer run needs, after flags and environment are merged and checked. */
export interface ProducerOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: string[];
  /** Topic (must exist). */
  readonly topic: string;
  /** Records to send; 0 = no limit (stop on --duration or a signal). */
  readonly count: number;
  /** Records per second; 0 = as fast as possible. */
  readonly rate: number;
  /** Seconds to run; 0 = no limit. */
  readonly duration: number;
  /** Seed for reproducible records; undefined = a fresh random seed. */
  readonly seed: number | undefined;
  /** Value format. */
  readonly format: RecordFormat;
  /** Schema Registry URL (required for avro). */
  readonly schemaRegistry: string | undefined;
  /** Batch compression. */
  readonly compression: CompressionName;
  /** Kafka client id. */
  readonly clientId: string;
  /** Retries while connecting at start. */
  readonly connectRetries: number;
  /**
   * SASL/SCRAM-SHA-512 login (`--sasl-username` or PRODUCER_SASL_USERNAME, and PRODUCER_SASL_PASSWORD).
   * @default undefined: no authentication
   */
  readonly sasl?: SaslCredentials | undefined;
}

/** A bad flag or environment value: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The CLI's usage text. */
export const usage = `Usage: producer --brokers HOST:PORT[,HOST:PORT...] [options]

Produces fake users (the contracts/users record) to a Kafka topic.

Options (each also read from the environment variable in brackets; a flag wins):
  --brokers LIST          bootstrap brokers, comma separated            [PRODUCER_BROKERS] (required)
  --topic NAME            topic to produce to; it must exist            [PRODUCER_TOPIC] (users)
  --count N               records to send; 0 = no limit                 [PRODUCER_COUNT] (1000)
  --rate N                records per second; 0 = as fast as possible   [PRODUCER_RATE] (0)
  --duration SECONDS      stop after this long; 0 = no limit            [PRODUCER_DURATION] (0)
  --seed N                seed (0..4294967295): the same records on every run [PRODUCER_SEED]
  --format json|avro      value encoding; avro uses Confluent wire format [PRODUCER_FORMAT] (json)
  --schema-registry URL   Schema Registry, required with --format avro  [PRODUCER_SCHEMA_REGISTRY]
  --compression none|gzip batch compression                             [PRODUCER_COMPRESSION] (none)
  --client-id NAME        Kafka client id                               [PRODUCER_CLIENT_ID] (data-pipeline-producer)
  --connect-retries N     retries when connecting at start              [PRODUCER_CONNECT_RETRIES] (5)
  --sasl-username NAME    log in with SASL/SCRAM-SHA-512 as NAME        [PRODUCER_SASL_USERNAME]
                          (the password only from PRODUCER_SASL_PASSWORD, never a flag: flags show in ps;
                          set both or neither)
  --help                  print this help

Exit status: 0 done (also after SIGINT/SIGTERM, once in-flight records are flushed),
1 runtime failure (brokers unreachable, topic missing, send failed), 2 bad usage,
3 Kafka refused the producer (its login, or an ACL it lacks).`;

const flagNames = [
  "brokers",
  "topic",
  "count",
  "rate",
  "duration",
  "seed",
  "format",
  "schema-registry",
  "compression",
  "client-id",
  "connect-retries",
  "sasl-username",
] as const;

type FlagName = (typeof flagNames)[number];

/** Environment variable of a flag: `schema-registry` → `PRODUCER_SCHEMA_REGISTRY`. */
export function environmentVariableOf(flag: string): string {
  return `PRODUCER_${flag.toUpperCase().replace(/-/g, "_")}`;
}

function number(flag: FlagName, text: string, options: { integer: boolean; maximum?: number }): number {
  const value = Number(text);
  const valid =
    text.trim() !== "" &&
    Number.isFinite(value) &&
    value >= 0 &&
    (!options.integer || Number.isInteger(value)) &&
    (options.maximum === undefined || value <= options.maximum);
  if (!valid) {
    const kind = options.integer ? "a non-negative integer" : "a non-negative number";
    const limit = options.maximum === undefined ? "" : ` up to ${options.maximum}`;
    throw new UsageError(`--${flag} must be ${kind}${limit}, got "${text}".`);
  }
  return value;
}

function oneOf<T extends string>(flag: FlagName, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got "${text}".`);
  }
  return text as T;
}

/** The environment variable of the SASL password (a password is never a flag: flags show in `ps`). */
export const saslPasswordVariable = "PRODUCER_SASL_PASSWORD";

/** The SCRAM login from `--sasl-username` (or its variable) and {@link saslPasswordVariable}. */
function saslCredentials(
  username: string | undefined,
  password: string | undefined,
): SaslCredentials | undefined {
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined) {
    throw new UsageError(
      `${saslPasswordVariable} is set without --sasl-username (or PRODUCER_SASL_USERNAME): set both or neither.`,
    );
  }
  if (password === undefined) {
    throw new UsageError(
      `--sasl-username (or PRODUCER_SASL_USERNAME) needs ${saslPasswordVariable}: set both or neither.`,
    );
  }
  return { mechanism: "scram-sha-512", username, password };
}

const brokerPattern = /^[A-Za-z0-9._-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;

/**
 * Parses CLI arguments merged with `PRODUCER_*` environment variables. Returns `"help"` for
 * `--help`; throws {@link UsageError} for anything unknown, missing or malformed.
 */
export function parseOptions(
  argv: readonly string[],
  environment: NodeJS.ProcessEnv,
): ProducerOptions | "help" {
  const passwordFlag = argv.find((argument) => /^--sasl-password(=|$)/.test(argument));
  if (passwordFlag !== undefined) {
    throw new UsageError(
      `--sasl-password is not a flag (the command line shows in ps): set ${saslPasswordVariable}.`,
    );
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(flagNames.map((flag) => [flag, { type: "string" as const }])),
        help: { type: "boolean", short: "h" },
      },
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return "help";
  const get = (flag: FlagName): string | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return fromFlag;
    const fromEnvironment = environment[environmentVariableOf(flag)];
    return fromEnvironment === undefined || fromEnvironment === "" ? undefined : fromEnvironment;
  };

  const brokersText = get("brokers");
  if (brokersText === undefined) throw new UsageError("--brokers (or PRODUCER_BROKERS) is required.");
  const brokers = brokersText
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker !== "");
  const badBroker = brokers.find((broker) => !brokerPattern.test(broker));
  if (brokers.length === 0 || badBroker !== undefined) {
    throw new UsageError(`--brokers must be HOST:PORT[,HOST:PORT...], got "${brokersText}".`);
  }
  const topic = get("topic") ?? "users";
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new UsageError(
      `--topic must be a Kafka topic name ([A-Za-z0-9._-], 1-249 characters), got "${topic}".`,
    );
  }
  const format = oneOf<RecordFormat>("format", get("format") ?? "json", ["json", "avro"]);
  const schemaRegistry = get("schema-registry");
  if (format === "avro" && schemaRegistry === undefined) {
    throw new UsageError("--format avro needs --schema-registry (or PRODUCER_SCHEMA_REGISTRY).");
  }
  if (schemaRegistry !== undefined && !/^https?:\/\/[^\s/]+/.test(schemaRegistry)) {
    throw new UsageError(`--schema-registry must be an http(s) URL, got "${schemaRegistry}".`);
  }
  const seedText = get("seed");
  const password = environment[saslPasswordVariable];
  const sasl = saslCredentials(get("sasl-username"), password === "" ? undefined : password);
  return {
    brokers,
    topic,
    count: number("count", get("count") ?? "1000", { integer: true }),
    rate: number("rate", get("rate") ?? "0", { integer: false }),
    duration: number("duration", get("duration") ?? "0", { integer: false }),
    seed:
      seedText === undefined
        ? undefined
        : number("seed", seedText, { integer: true, maximum: 4_294_967_295 }),
    format,
    schemaRegistry,
    compression: oneOf<CompressionName>("compression", get("compression") ?? "none", ["none", "gzip"]),
    clientId: get("client-id") ?? "data-pipeline-producer",
    connectRetries: number("connect-retries", get("connect-retries") ?? "5", { integer: true, maximum: 100 }),
    sasl,
  };
}
