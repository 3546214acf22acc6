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
}

/** Reconnection policy while sending: about 45 s of retries before a send fails for good. */
const reconnectRetry = { retries: 12, initialRetryTime: 300, maxRetryTime: 5000 };

/** An error the CLI reports as one line and a non-zero exit. */
export class ProducerError extends Error {
  override readonly name = "ProducerError";
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

  /**
   * Connects, checks that the topic exists and returns its partition count. Throws a
   * {@link ProducerError} with one clear sentence when the brokers stay unreachable or the topic is missing.
   */
  async connect(): Promise<number> {
    const brokers = this.options.brokers.join(",");
    const admin: Admin = this.startupKafka.admin();
    let partitions: number;
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(this.options.topic)) {
        throw new ProducerError(
          `Unable to produce to topic "${this.options.topic}": it does not exist on ${brokers}. ` +
            "Create it first (the pipeline's KafkaTopic does) or fix --topic.",
        );
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [this.options.topic] });
      partitions = metadata.topics[0]?.partitions.length ?? 1;
    } catch (error) {
      if (error instanceof ProducerError) throw error;
      throw new ProducerError(
        `Unable to connect to Kafka at ${brokers} after ${this.options.connectRetries ?? 5} retries: ` +
          `${describe(error)}. Check --brokers and that the brokers are running.`,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (error) {
      throw new ProducerError(`Unable to start the Kafka producer on ${brokers}: ${describe(error)}.`);
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
      throw new ProducerError(
        `Unable to send ${batch.records} records to topic "${this.options.topic}": ${describe(error)}.`,
      );
    }
  }

  /** Disconnects the producer (waits for nothing in flight: callers await their sends first). */
  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = false;
  }
}
