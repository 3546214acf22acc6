import { SingleBar } from "cli-progress";

/** Counters of a run at one moment. */
export interface ProgressSnapshot {
  /** Records acknowledged by the brokers. */
  readonly sent: number;
  /** Records whose send failed for good. */
  readonly failed: number;
  /** Bytes of keys and values acknowledged. */
  readonly bytes: number;
  /** Seconds since the first send started. */
  readonly seconds: number;
  /** Records to send in total; 0 = no limit. */
  readonly total: number;
}

/** Where a run reports its progress. */
export interface ProgressReporter {
  /** Called after every acknowledged batch. */
  update(snapshot: ProgressSnapshot): void;
  /** Called once at the end, before the summary. */
  stop(): void;
}

/** Writes one JSON line per event to a stream (stdout when not on a terminal). */
export function writeJsonLine(
  stream: NodeJS.WritableStream,
  event: string,
  fields: Record<string, unknown>,
): void {
  stream.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + "\n");
}

/** Progress as JSON lines, at most one per `intervalSeconds`. */
export class JsonLineProgress implements ProgressReporter {
  private lastSeconds = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly intervalSeconds = 1,
  ) {}

  update(snapshot: ProgressSnapshot): void {
    if (snapshot.seconds - this.lastSeconds < this.intervalSeconds) return;
    this.lastSeconds = snapshot.seconds;
    writeJsonLine(this.stream, "progress", {
      sent: snapshot.sent,
      failed: snapshot.failed,
      seconds: round(snapshot.seconds),
      records_per_second: Math.round(snapshot.sent / Math.max(snapshot.seconds, 1e-3)),
    });
  }

  stop(): void {}
}

/** A progress bar (sent, rate, ETA) on a terminal, drawn on stderr. */
export class BarProgress implements ProgressReporter {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: NodeJS.WritableStream = process.stderr) {
    this.bar = new SingleBar({
      stream,
      format:
        "{bar} {percentage}% | {value}/{total} sent | {rate} rec/s | failed {failed} | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
    });
  }

  update(snapshot: ProgressSnapshot): void {
    const rate = Math.round(snapshot.sent / Math.max(snapshot.seconds, 1e-3));
    const total = snapshot.total === 0 ? Math.max(snapshot.sent, 1) : snapshot.total;
    if (!this.started) {
      this.bar.start(total, 0, { rate, failed: 0 });
      this.started = true;
    }
    this.bar.setTotal(total);
    this.bar.update(snapshot.sent, { rate, failed: snapshot.failed });
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

/** Rounds to three decimals, for reports. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
