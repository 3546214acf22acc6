/** Public API of the producer package (the CLI is cli.ts). */
export { UserGenerator, defaultReferenceTime } from "./generator";
export type { GeneratorOptions } from "./generator";
export { Random, randomSeed } from "./random";
export { buildPools, slugOf } from "./pools";
export type { Pools, LocalePool, NamePool } from "./pools";
export {
  encodeUserJson,
  decodeUserJson,
  createUserAvroType,
  encodeConfluentAvro,
  decodeConfluentAvro,
  userAvroTypeOptions,
  confluentHeaderSize,
  confluentMagicByte,
} from "./encoding";
export type { RecordFormat } from "./encoding";
export { BatchEncoder, messagesOf } from "./batch-encoder";
export type { EncodedBatch, BatchEncoderOptions, BatchMessage } from "./batch-encoder";
export { WorkerBatchSource, InlineBatchSource } from "./batch-source";
export type { BatchSource, WorkerBatchSourceOptions } from "./batch-source";
export { Publisher, ProducerError, KafkaRefusedError, kafkaRefusal } from "./publisher";
export type { PublisherOptions, CompressionName, SaslCredentials } from "./publisher";
export { parseOptions, usage, UsageError, environmentVariableOf, saslPasswordVariable } from "./options";
export type { ProducerOptions } from "./options";
export { runProducer, batchRecordsFor } from "./run";
export type { RunSummary, RunContext, SourceSettings } from "./run";
