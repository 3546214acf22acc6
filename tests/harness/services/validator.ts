/**
 * The Spark job's JVM validator (spark/validator): built with Maven once per content and kept in
 * the harness cache, for the local Spark driver of the e2e tests and the benchmark (`--jars`), the
 * pytest suites (`DATA_PIPELINE_VALIDATOR_JAR`) and anything else that runs the job outside its
 * image (which builds the same module in its Maven stage).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  renameSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from "node:fs";
import { join, relative } from "node:path";
import { mavenVersionProperties } from "../../../components/versions";
import { HarnessError, cacheDir, progress, repoRoot } from "../lib";

const service = "validator";

/** The files the jar is built from: the pom, the main sources and the contract resources. */
export function validatorInputs(root = repoRoot()): string[] {
  const moduleDir = join(root, "spark", "validator");
  const files = [join(moduleDir, "pom.xml")];
  const walk = (directory: string): void => {
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(moduleDir, "src", "main"));
  files.push(join(root, "contracts", "users.rules.json"), join(root, "contracts", "users.unicode.json"));
  return files;
}

/** Maven's -D arguments: every version from versions.json (the pom writes none). */
export function mavenProperties(): string[] {
  return Object.entries(mavenVersionProperties()).map(([name, value]) => `-D${name}=${value}`);
}

/** Runs Maven in spark/validator with `goals`; output to `logPath`. */
export function runValidatorMaven(goals: readonly string[], logPath: string, quiet = true): Promise<void> {
  const args = ["-B", ...(quiet ? ["-q"] : []), ...mavenProperties(), ...goals];
  const localRepository = process.env.DATA_PIPELINE_M2;
  if (localRepository) args.push(`-Dmaven.repo.local=${localRepository}`);
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logPath);
    const child = spawn(process.env.DATA_PIPELINE_MVN ?? "mvn", args, {
      cwd: join(repoRoot(), "spark", "validator"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on("error", (error: NodeJS.ErrnoException) => {
      log.end();
      reject(
        new HarnessError(service, error.code === "ENOENT" ? "mvn not found on PATH" : error.message, logPath),
      );
    });
    child.on("close", (code) => {
      log.end();
      if (code === 0) resolvePromise();
      else reject(new HarnessError(service, `Maven failed (exit ${code})`, logPath));
    });
  });
}

/**
 * The validator jar for the checked-out sources: `<cache>/validator/<hash>/users-validator.jar`,
 * built (tests skipped: `npm run test:jvm` runs them) when no jar of these inputs exists yet.
 */
export async function ensureValidatorJar(): Promise<string> {
  const root = repoRoot();
  const hash = createHash("sha256");
  for (const file of validatorInputs(root))
    hash.update(relative(root, file)).update("\0").update(readFileSync(file));
  hash.update(mavenProperties().join("\0"));
  const directory = join(cacheDir(), service, hash.digest("hex").slice(0, 16));
  const jar = join(directory, "users-validator.jar");
  if (existsSync(jar)) return jar;
  mkdirSync(directory, { recursive: true });
  const logPath = join(directory, "maven.log");
  progress(service, `building spark/validator with Maven; output in ${logPath}`);
  const started = Date.now();
  await runValidatorMaven(["-Dmaven.test.skip=true", "package"], logPath);
  copyFileSync(join(root, "spark", "validator", "target", "users-validator-0.jar"), `${jar}.partial`);
  renameSync(`${jar}.partial`, jar);
  progress(service, `built in ${Math.round((Date.now() - started) / 1000)}s: ${jar}`);
  return jar;
}
