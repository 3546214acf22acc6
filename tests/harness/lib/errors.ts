/**
 * The one kind of error the harness throws. Its message is always one line:
 * `<service>: <cause> (log: <path>)`, so a failing test or CLI run says what broke and where to look.
 */
export class HarnessError extends Error {
  /** Service that failed, e.g. `kafka`. */
  public readonly service: string;
  /** Log file to read, when the service has one. */
  public readonly logPath: string | undefined;

  constructor(service: string, cause: string, logPath?: string) {
    super(`${service}: ${cause.replace(/\s+/g, " ").trim()}${logPath ? ` (log: ${logPath})` : ""}`);
    this.name = "HarnessError";
    this.service = service;
    this.logPath = logPath;
  }
}

/** Prints a progress line for a service to stderr (stdout stays free for the CLI's endpoints). */
export function progress(service: string, message: string): void {
  if (process.env.DATA_PIPELINE_HARNESS_QUIET === "1") return;
  process.stderr.write(`[harness] ${service}: ${message}\n`);
}
