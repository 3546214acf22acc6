import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { HarnessError, harnessStateRoot, isAlive, progress, repoRoot, sleep } from "../lib";

/** Requirement files installed into the venv, relative to the repository root (missing ones are skipped). */
export const requirementFiles: readonly string[] = [
  "spark/requirements.txt",
  "dags/requirements.txt",
  "requirements-dev.txt",
];

/** The project's Python virtual environment, built by {@link ensureVenv}. */
export interface PythonEnvironment {
  /** `<repo>/.venv` (or `$DATA_PIPELINE_VENV`). */
  readonly root: string;
  /** The venv's `python` executable. */
  readonly python: string;
  /** The venv's site-packages directory. */
  readonly sitePackages: string;
  /** Requirement files it was built from (absolute paths). */
  readonly requirements: readonly string[];
}

const service = "venv";
const stampName = ".data-pipeline-stamp";
const lockTimeoutMs = 20 * 60_000;

/** Directory of the project venv: `$DATA_PIPELINE_VENV` when set, otherwise `<repo>/.venv`. */
export function venvDirectory(): string {
  const configured = process.env.DATA_PIPELINE_VENV;
  return configured && configured.length > 0 ? configured : join(repoRoot(), ".venv");
}

/**
 * Creates or updates `<repo>/.venv` from the pinned requirement files. Idempotent: the venv holds a
 * stamp with the hash of the requirement files and the interpreter, so a warm call starts no
 * process at all. Concurrent callers (parallel test files) serialize on a lock directory; a lock
 * left by a dead process is taken over. Failures end in one line naming `venv`, the cause and the
 * pip log.
 */
export async function ensureVenv(): Promise<PythonEnvironment> {
  const root = venvDirectory();
  const requirements = requirementFiles
    .map((file) => join(repoRoot(), file))
    .filter((file) => existsSync(file));
  const basePython = process.env.DATA_PIPELINE_PYTHON ?? "python3";
  const stamp = stampOf(basePython, requirements);
  if (isCurrent(root, stamp)) return describe(root, requirements);
  mkdirSync(dirname(root), { recursive: true });
  const release = await acquireLock(`${root}.lock`);
  try {
    if (isCurrent(root, stamp)) return describe(root, requirements);
    const logPath = join(harnessStateRoot(), "logs", "venv.log");
    mkdirSync(join(harnessStateRoot(), "logs"), { recursive: true });
    rmSync(join(root, stampName), { force: true });
    const started = Date.now();
    if (!existsSync(join(root, "bin", "python"))) {
      progress(service, `creating ${root} with ${basePython}`);
      await run(basePython, ["-m", "venv", root], logPath, "w");
    }
    const pipArguments = ["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"];
    for (const file of requirements) pipArguments.push("-r", file);
    progress(
      service,
      `pip install ${requirements.map((file) => file.slice(repoRoot().length + 1)).join(" ")}`,
    );
    await run(join(root, "bin", "python"), pipArguments, logPath, "a");
    writeFileSync(join(root, stampName), stamp);
    progress(service, `ready in ${Math.round((Date.now() - started) / 1000)}s (log: ${logPath})`);
    return describe(root, requirements);
  } finally {
    release();
  }
}

function stampOf(basePython: string, requirements: readonly string[]): string {
  const hash = createHash("sha256").update(basePython);
  for (const file of requirements) hash.update(file).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

function isCurrent(root: string, stamp: string): boolean {
  const stampPath = join(root, stampName);
  return (
    existsSync(join(root, "bin", "python")) &&
    existsSync(stampPath) &&
    readFileSync(stampPath, "utf8") === stamp
  );
}

function describe(root: string, requirements: readonly string[]): PythonEnvironment {
  const libDirectory = join(root, "lib");
  const pythonDirectory = readdirSync(libDirectory).find((name) => name.startsWith("python"));
  if (!pythonDirectory) throw new HarnessError(service, `no lib/python* directory in ${root}`);
  return {
    root,
    python: join(root, "bin", "python"),
    sitePackages: join(libDirectory, pythonDirectory, "site-packages"),
    requirements,
  };
}

/** Takes `lockPath` (a directory, created atomically); returns its release function. */
async function acquireLock(lockPath: string): Promise<() => void> {
  const deadline = Date.now() + lockTimeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockPath);
      writeFileSync(join(lockPath, "owner"), String(process.pid));
      return () => rmSync(lockPath, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number(readFileOr(join(lockPath, "owner"), "0"));
    if (owner > 0 && !isAlive(owner)) {
      rmSync(lockPath, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new HarnessError(service, `lock ${lockPath} held by pid ${owner} for over 20 minutes`);
    }
    if (!announced) progress(service, `waiting for pid ${owner}, which is building the venv`);
    announced = true;
    await sleep(1_000);
  }
}

function readFileOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8").trim() || fallback;
  } catch {
    return fallback;
  }
}

/** `pip install` or `python -m venv`, for messages. */
function label(args: readonly string[]): string {
  return args[0] === "-m" && args[1] ? `${args[1]} ${args[2] ?? ""}`.trim() : args.join(" ");
}

/** Runs a command, appending its output to `logPath` and echoing pip's download lines as progress. */
function run(command: string, args: readonly string[], logPath: string, flags: "w" | "a"): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logPath, { flags });
    log.write(`$ ${command} ${args.join(" ")}\n`);
    const child = spawn(command, [...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PIP_NO_INPUT: "1" },
    });
    let lastError: string | undefined;
    const onLine = (line: string): void => {
      log.write(`${line}\n`);
      const download = /^\s*Downloading (\S+)(.*)$/.exec(line);
      if (download?.[1]) progress(service, `downloading ${download[1].split("/").pop()}${download[2] ?? ""}`);
      if (/^(ERROR|error):/.test(line.trim())) lastError = line.trim();
    };
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.on("error", (error: NodeJS.ErrnoException) => {
      log.end();
      const cause = error.code === "ENOENT" ? `${command} not found (install Python 3.11+)` : error.message;
      reject(new HarnessError(service, cause, logPath));
    });
    child.on("close", (code) => {
      log.end();
      if (code === 0) resolvePromise();
      else
        reject(new HarnessError(service, `${label(args)} failed: ${lastError ?? `exit ${code}`}`, logPath));
    });
  });
}

if (require.main === module) {
  ensureVenv().then(
    (environment) => process.stdout.write(`${environment.python}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
