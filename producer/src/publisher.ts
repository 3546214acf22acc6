import type { Admin, Producer, logCreator } from "kafkajs";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import type { EncodedBatch } from "./batch-encoder";
import { messagesOf } from "./batch-encoder";

/** Compression codecs offered (gzip is built into kafkajs; others need unmaintained codec packages). */
export type CompressionName = "none" | "gzip";

const compressionTypes: Record<CompressionName, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/** A SASL/SCRAM-SHA-512 login, as kafkajs takes it. */
export interface SaslCredentials {
  readonly mechanism: "scram-sha-512";
  readonly username: string;
  readonly password: string;
}

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Topic to produce to; it must exist. */
  readonly topic: string;
  /**
   * Client id reported to the brokers.
   * @default "data-pipeline-producer"
   */
  readonly clientId?: string;
  /**
   * Compression of each record batch.
   * @default "none"
   */
  readonly compression?: CompressionName;
  /**
   * Retries while connecting and checking the topic at start (then the run fails with one clear line).
   * @default 5
   */
  readonly connectRetries?: number;
  /**
   * Retries of one send (each may itself reconnect for up to ~45 s) before the run fails.
   * @default 30
   */
  readonly sendRetries?: number;
  /** Receives kafkajs's own error lines; silent when omitted. */
  readonly log?: (entry: Record<string, unknown>) => void;
  /**
   * Login of both clients (the start-up admin and the producer).
   * @default undefined: no authentication (PLAINTEXT)
   */
  readonly sasl?: SaslCredentials;
}

/** Reconnection policy while sending: about 45 s of retries before a send fails for good. */
const reconnectRetry = { retries: 12, initialRetryTime: 300, maxRetryTime: 5000 };

/** An error the CLI reports as one line and a non-zero exit. */
export class ProducerError extends Error {
  override readonly name: string = "ProducerError";
}

/** Kafka refused the producer: its login, or an ACL it lacks (the CLI's exit status 3). */
export class KafkaRefusedError extends ProducerError {
  override readonly name = "KafkaRefusedError";
}

/** The errors of `error`'s chain (kafkajs wraps the one that failed as `cause` of its retrier's). */
function chainOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 10) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** "authentication" when Kafka refused the login, "authorization" when an ACL is missing, else undefined. */
export function kafkaRefusal(error: unknown): "authentication" | "authorization" | undefined {
  const chain = chainOf(error) as { name?: unknown; type?: unknown }[];
  const refused = (test: (name: string, type: string) => boolean) =>
    chain.some((entry) => test(String(entry.name ?? ""), String(entry.type ?? "")));
  if (
    refused(
      (name, type) =>
        name === "KafkaJSSASLAuthenticationError" ||
        ["SASL_AUTHENTICATION_FAILED", "ILLEGAL_SASL_STATE", "UNSUPPORTED_SASL_MECHANISM"].includes(type),
    )
  )
    return "authentication";
  if (refused((_, type) => type.endsWith("_AUTHORIZATION_FAILED"))) return "authorization";
  return undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error && !error.message.includes(cause.message)
      ? `${error.message} (${cause.message})`
      : error.message;
  }
  return String(error);
}

/**
 * The send half of the producer: an idempotent kafkajs producer (acks from all in-sync replicas,
 * one request in flight per broker so ordering and de-duplication hold) that sends whole batches.
 */
export class Publisher {
  private readonly startupKafka: Kafka;
  private readonly producer: Producer;
  private readonly compression: CompressionTypes;
  private connected = false;

  constructor(private readonly options: PublisherOptions) {
    const log = options.log;
    const creator: logCreator = () => (entry) => {
      if (log !== undefined) log({ level: "error", source: "kafkajs", message: entry.log.message });
    };
    const client = {
      clientId: options.clientId ?? "data-pipeline-producer",
      brokers: [...options.brokers],
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      logLevel: logLevel.ERROR,
      logCreator: creator,
      ...(options.sasl === undefined ? {} : { sasl: { ...options.sasl } }),
    };
    // Start-up checks fail fast (bounded retries); the producer's own client rides out a broker
    // restart: kafkajs reconnects inside a send with the client-level retry policy.
    this.startupKafka = new Kafka({
      ...client,
      retry: { retries: options.connectRetries ?? 5, initialRetryTime: 300, maxRetryTime: 3000 },
    });
    const producerKafka = new Kafka({ ...client, retry: reconnectRetry });
    this.producer = producerKafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: options.sendRetries ?? 30, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.compression = compressionTypes[options.compression ?? "none"];
  }

  /** Who the brokers see: `"producer" (SASL/SCRAM-SHA-512)` or `an anonymous client (no --sasl-username)`. */
  private who(): string {
    const sasl = this.options.sasl;
    return sasl === undefined
      ? "an anonymous client (no --sasl-username)"
      : `"${sasl.username}" (SASL/SCRAM-SHA-512)`;
  }

  /**
   * The error to report when Kafka refused `action`: the login (naming the brokers and the username,
   * never the password) or an ACL; undefined when `error` is something else.
   */
  private refused(error: unknown, action: string): KafkaRefusedError | undefined {
    const brokers = this.options.brokers.join(",");
    const refusal = kafkaRefusal(error);
    if (refusal === "authentication") {
      return new KafkaRefusedError(
        `Unable to log in to Kafka at ${brokers} as ${this.who()}: ${describe(error)}. ` +
          "Check --sasl-username (or PRODUCER_SASL_USERNAME) and PRODUCER_SASL_PASSWORD.",
      );
    }
    if (refusal === "authorization") {
      return new KafkaRefusedError(
        `Kafka at ${brokers} denied ${this.who()} ${action}: ${describe(error)}. ` +
          `Check the principal's ACLs (Write and Describe on topic "${this.options.topic}").`,
      );
    }
    return undefined;
  }

  /**
   * Connects, checks that the topic exists and returns its partition count. Throws a
   * {@link ProducerError} with one clear sentence when the brokers stay unreachable, refuse the
   * login ({@link KafkaRefusedError}) or the topic is missing.
   */
  async connect(): Promise<number> {
    const brokers = this.options.brokers.join(",");
    const admin: Admin = this.startupKafka.admin();
    let partitions: number;
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(this.options.topic)) {
        // A topic the principal may not describe is left out of the list as if it did not exist.
        const hidden =
          this.options.sasl === undefined ? "" : ` (or ${this.who()} may not describe it: check its ACLs)`;
        throw new ProducerError(
          `Unable to produce to topic "${this.options.topic}": it does not exist on ${brokers}${hidden}. ` +
            "Create it first (the pipeline's KafkaTopic does) or fix --topic.",
        );
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [this.options.topic] });
      partitions = metadata.topics[0]?.partitions.length ?? 1;
    } catch (error) {
      if (error instanceof ProducerError) throw error;
      throw (
        this.refused(error, `the topic's metadata`) ??
        new ProducerError(
          `Unable to connect to Kafka at ${brokers} after ${this.options.connectRetries ?? 5} retries: ` +
            `${describe(error)}. Check --brokers and that the brokers are running` +
            (this.options.sasl === undefined ? " (and whether they require a login: --sasl-username)." : "."),
        )
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (error) {
      throw (
        this.refused(error, "a producer id") ??
        new ProducerError(`Unable to start the Kafka producer on ${brokers}: ${describe(error)}.`)
      );
    }
    return partitions;
  }

  /** Sends one batch and resolves once every in-sync replica has it (acks = -1). */
  async send(batch: EncodedBatch): Promise<void> {
    try {
      await this.producer.send({
        topic: this.options.topic,
        messages: messagesOf(batch),
        acks: -1,
        compression: this.compression,
      });
    } catch (error) {
      throw (
        this.refused(error, `writing to topic "${this.options.topic}"`) ??
        new ProducerError(
          `Unable to send ${batch.records} records to topic "${this.options.topic}": ${describe(error)}.`,
        )
      );
    }
  }

  /** Disconnects the producer (waits for nothing in flight: callers await their sends first). */
  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = false;
  }
}
