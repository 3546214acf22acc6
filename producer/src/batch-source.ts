import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { BatchEncoderOptions, EncodedBatch } from "./batch-encoder";
import { BatchEncoder } from "./batch-encoder";

/** Settings handed to the generator worker at start. */
export interface WorkerSettings {
  /** Generator and encoder options. */
  readonly encoder: BatchEncoderOptions;
  /** Records to make in total; 0 = no limit. */
  readonly count: number;
}

/** Messages from the main thread to the worker. */
export type WorkerRequest =
  | { readonly type: "make"; readonly batches: number; readonly records: number; readonly bytes: number }
  | { readonly type: "stop" };

/** Messages from the worker to the main thread. */
export type WorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "batch"; readonly batch: EncodedBatch }
  | { readonly type: "done" };

/** A supplier of encoded batches; `next()` resolves `undefined` once the count is reached. */
export interface BatchSource {
  /** The next batch, or `undefined` when no more records will come. */
  next(): Promise<EncodedBatch | undefined>;
  /** Stops generating; pending and future `next()` calls resolve `undefined`. */
  close(): Promise<void>;
}

/** Options of {@link WorkerBatchSource}. */
export interface WorkerBatchSourceOptions extends WorkerSettings {
  /** Records per batch. */
  readonly batchRecords: number;
  /** Bytes per batch (a batch stops at the first record that crosses it). */
  readonly batchBytes: number;
  /**
   * Batches generated ahead of the sender: the bound on memory and the backpressure.
   * @default 4
   */
  readonly queueDepth?: number;
}

/**
 * Generates batches in a worker thread, at most `queueDepth` ahead of the consumer: the worker
 * only makes a batch when a credit comes back, so memory is bounded whatever the count.
 */
export class WorkerBatchSource implements BatchSource {
  private readonly worker: Worker;
  private readonly ready = new Array<EncodedBatch>();
  private readonly waiting = new Array<(batch: EncodedBatch | undefined) => void>();
  private finished = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(private readonly options: WorkerBatchSourceOptions) {
    const settings: WorkerSettings = { encoder: options.encoder, count: options.count };
    const entry = path.join(__dirname, `generator-worker${path.extname(__filename)}`);
    // Running from TypeScript sources (tests, benchmark): load the worker through tsx's require hook.
    this.worker = entry.endsWith(".ts")
      ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(entry)});`, {
          eval: true,
          workerData: settings,
        })
      : new Worker(entry, { workerData: settings });
    this.worker.on("message", (reply: WorkerReply) => this.onReply(reply));
    this.worker.on("error", (error: Error) => {
      this.failure = error;
      this.finish();
    });
    this.worker.on("exit", () => this.finish());
  }

  private request(batches: number): void {
    const message: WorkerRequest = {
      type: "make",
      batches,
      records: this.options.batchRecords,
      bytes: this.options.batchBytes,
    };
    this.worker.postMessage(message);
  }

  private onReply(reply: WorkerReply): void {
    if (this.closed) return;
    if (reply.type === "ready") this.request(this.options.queueDepth ?? 4);
    else if (reply.type === "done") this.finish();
    else {
      const waiter = this.waiting.shift();
      if (waiter !== undefined) waiter(reply.batch);
      else this.ready.push(reply.batch);
    }
  }

  /** No more batches will come from the worker (those already queued are still handed out). */
  private finish(): void {
    this.finished = true;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
  }

  async next(): Promise<EncodedBatch | undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) return undefined;
    let batch = this.ready.shift();
    if (batch === undefined) {
      if (this.finished) return undefined;
      batch = await new Promise<EncodedBatch | undefined>((resolve) => this.waiting.push(resolve));
      if (this.failure !== undefined) throw this.failure;
    }
    if (batch !== undefined && !this.finished) this.request(1);
    return batch;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.finished = true;
    this.ready.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
    await this.worker.terminate();
  }
}

/** Generates batches on the calling thread (tests, and the benchmark's pre-generation). */
export class InlineBatchSource implements BatchSource {
  private readonly encoder: BatchEncoder;
  private remaining: number;
  private closed = false;

  constructor(private readonly options: Omit<WorkerBatchSourceOptions, "queueDepth">) {
    this.encoder = new BatchEncoder(options.encoder);
    this.remaining = options.count === 0 ? Number.POSITIVE_INFINITY : options.count;
  }

  async next(): Promise<EncodedBatch | undefined> {
    if (this.closed || this.remaining <= 0) return undefined;
    const batch = this.encoder.nextBatch(
      Math.min(this.options.batchRecords, this.remaining),
      this.options.batchBytes,
    );
    this.remaining -= batch.records;
    return batch;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
