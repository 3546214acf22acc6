import type { GeneratorOptions } from "./generator";
import { UserGenerator } from "./generator";
import type { RecordFormat } from "./encoding";
import { userAvroSchema } from "../../contracts/users";
import { confluentHeaderSize, confluentMagicByte, encodeUserJson } from "./encoding";
import * as avsc from "avsc";
import { partitionOfKey } from "./partition";

/** A batch of serialized records: keys and values packed into one buffer. */
export interface EncodedBatch {
  /** Packed bytes; record i has key `[offsets[2i], offsets[2i+1])`, value `[offsets[2i+1], offsets[2i+2])`. */
  readonly bytes: Uint8Array;
  /** 2 × records + 1 boundaries into {@link bytes}. */
  readonly offsets: Uint32Array;
  /** Number of records. */
  readonly records: number;
  /** Index (0-based, in generation order) of the first record. */
  readonly firstIndex: number;
  /** Partition of each record by Kafka's default key hash, when the encoder knows the partition count. */
  readonly partitions?: Uint16Array;
}

/** Options of {@link BatchEncoder}. */
export interface BatchEncoderOptions extends GeneratorOptions {
  /** Value format. */
  readonly format: RecordFormat;
  /** Schema Registry id written into each Avro record (required for `avro`). */
  readonly schemaId?: number;
  /** Partitions of the topic: when given, each record's partition is computed here (murmur2 of the key). */
  readonly partitionCount?: number;
}

/** Largest UTF-8 size of a record we ever produce, as a guard when packing (keys are 36 bytes). */
const recordGuardBytes = 16_384;

/**
 * Generates records and packs them, serialized, into batches: the CPU-heavy half of producing,
 * run inside a worker thread so that the Kafka client keeps the main thread.
 */
export class BatchEncoder {
  private readonly generator: UserGenerator;
  private readonly format: RecordFormat;
  private readonly schemaId: number;
  private readonly avroType: avsc.Type | undefined;
  private readonly partitionCount: number;

  constructor(options: BatchEncoderOptions) {
    this.generator = new UserGenerator(options);
    this.format = options.format;
    this.schemaId = options.schemaId ?? 0;
    this.partitionCount = options.partitionCount ?? 0;
    if (this.format === "avro") {
      if (options.schemaId === undefined)
        throw new Error("Unable to encode Avro records: no schema id was given.");
      // The plain schema (logical types kept as their int/long carriers): the encoder hands it the
      // generator's numeric times directly instead of parsing the text forms back.
      this.avroType = avsc.Type.forSchema(userAvroSchema() as unknown as avsc.Schema);
    }
  }

  /** Records generated so far. */
  get generated(): number {
    return this.generator.generated;
  }

  /** Makes up to `maximumRecords` records, stopping early once the batch reaches `maximumBytes`. */
  nextBatch(maximumRecords: number, maximumBytes: number): EncodedBatch {
    const capacity = Math.max(maximumBytes, recordGuardBytes) + recordGuardBytes;
    const bytes = Buffer.allocUnsafe(capacity);
    const offsets = new Uint32Array(maximumRecords * 2 + 1);
    const partitions = this.partitionCount > 0 ? new Uint16Array(maximumRecords) : undefined;
    const firstIndex = this.generator.generated;
    let position = 0;
    let records = 0;
    while (records < maximumRecords && position < maximumBytes) {
      const user = this.generator.next();
      offsets[records * 2] = position;
      const keyStart = position;
      position += bytes.write(user.id, position, "latin1");
      offsets[records * 2 + 1] = position;
      if (partitions !== undefined)
        partitions[records] = partitionOfKey(bytes, keyStart, position, this.partitionCount);
      if (this.format === "json") {
        const text = encodeUserJson(user);
        if (text.length * 3 > capacity - position)
          throw new Error("Unable to pack a record: it is too large.");
        position += bytes.write(text, position, "utf8");
      } else {
        bytes[position] = confluentMagicByte;
        bytes.writeUInt32BE(this.schemaId, position + 1);
        const times = this.generator.lastTimes;
        const record = {
          ...user,
          dob: times.dobDays,
          registered_at: times.registeredAt,
          event_time: times.eventTime,
        };
        const end = this.avroType!.encode(record, bytes, position + confluentHeaderSize);
        if (end < 0) throw new Error("Unable to pack a record: it is too large.");
        position = end;
      }
      records++;
      offsets[records * 2] = position;
    }
    return {
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, position),
      offsets: offsets.subarray(0, records * 2 + 1),
      records,
      firstIndex,
      ...(partitions === undefined ? {} : { partitions: partitions.subarray(0, records) }),
    };
  }
}

/** A Kafka message as kafkajs takes it, viewing (not copying) a batch's bytes. */
export interface BatchMessage {
  readonly key: Buffer;
  readonly value: Buffer;
  /** Precomputed partition (kafkajs's default partitioner uses it as is). */
  readonly partition?: number;
}

/** Turns a packed batch into kafkajs messages without copying bytes. */
export function messagesOf(batch: EncodedBatch): BatchMessage[] {
  const buffer = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const offsets = batch.offsets;
  const partitions = batch.partitions;
  const messages: BatchMessage[] = new Array<BatchMessage>(batch.records);
  for (let record = 0; record < batch.records; record++) {
    const keyStart = offsets[record * 2]!;
    const valueStart = offsets[record * 2 + 1]!;
    const valueEnd = offsets[record * 2 + 2]!;
    const key = buffer.subarray(keyStart, valueStart);
    const value = buffer.subarray(valueStart, valueEnd);
    messages[record] =
      partitions === undefined ? { key, value } : { key, value, partition: partitions[record]! };
  }
  return messages;
}
