import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Absolute path of the repository root (this file lives in tests/harness/lib). */
export function repoRoot(): string {
  return resolve(__dirname, "..", "..", "..");
}

/**
 * Directory for downloaded artifacts (jars, unpacked distributions), shared across clones.
 * `$DATA_PIPELINE_CACHE` when set, otherwise `~/.cache/data-pipeline`.
 */
export function cacheDir(): string {
  const configured = process.env.DATA_PIPELINE_CACHE;
  return configured && configured.length > 0
    ? resolve(configured)
    : join(homedir(), ".cache", "data-pipeline");
}

/** Root of all runtime state (pid files, logs, data dirs): `<repo>/.cache/harness`. */
export function harnessStateRoot(): string {
  return join(repoRoot(), ".cache", "harness");
}

/**
 * Runtime state directory of one service in one run: `<repo>/.cache/harness/<run>/<service>`.
 * The run is `cli` for `npm run services -- up`, and `test-<pid>-<n>` for a test process, so
 * parallel runs never share a data directory.
 */
export function stateDir(run: string, service: string): string {
  return join(harnessStateRoot(), run, service);
}
