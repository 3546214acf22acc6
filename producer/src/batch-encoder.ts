import type * as avro from "avsc";
import type { GeneratorOptions } from "./generator";
import { UserGenerator } from "./generator";
import type { RecordFormat } from "./encoding";
import { confluentHeaderSize, confluentMagicByte, createUserAvroType, encodeUserJson } from "./encoding";

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
}

/** Options of {@link BatchEncoder}. */
export interface BatchEncoderOptions extends GeneratorOptions {
  /** Value format. */
  readonly format: RecordFormat;
  /** Schema Registry id written into each Avro record (required for `avro`). */
  readonly schemaId?: number;
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
  private readonly avroType: avro.Type | undefined;

  constructor(options: BatchEncoderOptions) {
    this.generator = new UserGenerator(options);
    this.format = options.format;
    this.schemaId = options.schemaId ?? 0;
    if (this.format === "avro") {
      if (options.schemaId === undefined)
        throw new Error("Unable to encode Avro records: no schema id was given.");
      this.avroType = createUserAvroType();
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
    const firstIndex = this.generator.generated;
    let position = 0;
    let records = 0;
    while (records < maximumRecords && position < maximumBytes) {
      const user = this.generator.next();
      offsets[records * 2] = position;
      position += bytes.write(user.id, position, "latin1");
      offsets[records * 2 + 1] = position;
      if (this.format === "json") {
        const text = encodeUserJson(user);
        if (text.length * 3 > capacity - position)
          throw new Error("Unable to pack a record: it is too large.");
        position += bytes.write(text, position, "utf8");
      } else {
        bytes[position] = confluentMagicByte;
        bytes.writeUInt32BE(this.schemaId, position + 1);
        const end = this.avroType!.encode(user, bytes, position + confluentHeaderSize);
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
    };
  }
}

/** A Kafka message as kafkajs takes it, viewing (not copying) a batch's bytes. */
export interface BatchMessage {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** Turns a packed batch into kafkajs messages without copying bytes. */
export function messagesOf(batch: EncodedBatch): BatchMessage[] {
  const buffer = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const offsets = batch.offsets;
  const messages: BatchMessage[] = new Array<BatchMessage>(batch.records);
  for (let record = 0; record < batch.records; record++) {
    const keyStart = offsets[record * 2]!;
    const valueStart = offsets[record * 2 + 1]!;
    const valueEnd = offsets[record * 2 + 2]!;
    messages[record] = {
      key: buffer.subarray(keyStart, valueStart),
      value: buffer.subarray(valueStart, valueEnd),
    };
  }
  return messages;
}
