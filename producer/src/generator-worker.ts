/**
 * Worker-thread entry: generates and serializes batches on request, so generation never competes
 * with the Kafka client for the main thread. Protocol: see {@link WorkerRequest} and
 * {@link WorkerReply} in batch-source.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { BatchEncoder } from "./batch-encoder";
import type { WorkerReply, WorkerRequest, WorkerSettings } from "./batch-source";

const settings = workerData as WorkerSettings;
const port = parentPort!;
const encoder = new BatchEncoder(settings.encoder);
let remaining = settings.count === 0 ? Number.POSITIVE_INFINITY : settings.count;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on("message", (request: WorkerRequest) => {
  if (request.type === "stop") {
    port.close();
    return;
  }
  for (let made = 0; made < request.batches && remaining > 0; made++) {
    const batch = encoder.nextBatch(Math.min(request.records, remaining), request.bytes);
    remaining -= batch.records;
    const transfer = [
      batch.bytes.buffer,
      batch.offsets.buffer,
      ...(batch.partitions ? [batch.partitions.buffer] : []),
    ];
    reply({ type: "batch", batch }, transfer as ArrayBuffer[]);
  }
  if (remaining <= 0) reply({ type: "done" });
});
reply({ type: "ready" });
