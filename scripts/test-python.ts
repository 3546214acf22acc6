/**
 * `npm run test:python`: builds or reuses the project venv through the harness (pinned
 * spark/requirements.txt, dags/requirements.txt, requirements-dev.txt), then for each Python
 * package present (spark/, dags/) checks ruff and black and runs its pytest suite. Exit status is
 * the first failure's.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../tests/harness/lib";
import { ensureValidatorJar } from "../tests/harness/services/validator";
import { ensureVenv } from "../tests/harness/services/venv";

const packages = ["spark", "dags"];

/**
 * The job image (apache/spark 3.5 on Ubuntu 22.04) runs Python 3.10: the record contract's tests
 * run under it too, where this machine has it (pyenv's or on PATH). A 3.11-only call there once
 * refused every valid record (datetime.fromisoformat with a trailing "Z").
 */
function jobImagePython(): string | undefined {
  const onPath = spawnSync("python3.10", ["--version"]);
  if (onPath.status === 0) return "python3.10";
  const pyenv = join(homedir(), ".pyenv", "versions");
  const version = existsSync(pyenv) ? readdirSync(pyenv).find((name) => name.startsWith("3.10.")) : undefined;
  return version ? join(pyenv, version, "bin", "python3.10") : undefined;
}

/** The pins of `names` from the project's requirement files. */
function pins(names: readonly string[]): string[] {
  const lines = ["spark/requirements.txt", "requirements-dev.txt"].flatMap((file) =>
    readFileSync(join(repoRoot(), file), "utf8").split("\n"),
  );
  return names.map((name) => {
    const pin = lines.find((line) => line.startsWith(`${name}==`));
    if (!pin) throw new Error(`no pin of ${name} in spark/requirements.txt or requirements-dev.txt`);
    return pin.trim();
  });
}

function contractTestsOnJobPython(): number {
  const base = jobImagePython();
  if (!base) {
    process.stdout.write("test:python: spark on Python 3.10: not run (no Python 3.10 on this machine)\n");
    return 0;
  }
  const root = join(repoRoot(), ".venv-py310");
  const python = join(root, "bin", "python");
  const requirements = pins(["regex", "pytest"]);
  const stamp = join(root, ".data-pipeline-stamp");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== requirements.join("\n")) {
    for (const [command, args] of [
      [base, ["-m", "venv", "--clear", root]],
      [python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...requirements]],
    ] as const) {
      const result = spawnSync(command, args, { stdio: "inherit" });
      if (result.status !== 0) return result.status ?? 1;
    }
    writeFileSync(stamp, requirements.join("\n"));
  }
  process.stdout.write(
    "test:python: spark: pytest tests/test_contract.py tests/test_cases.py on Python 3.10 (the job image's)\n",
  );
  const result = spawnSync(
    python,
    ["-m", "pytest", "-p", "no:cacheprovider", "tests/test_contract.py", "tests/test_cases.py"],
    {
      cwd: join(repoRoot(), "spark"),
      stdio: "inherit",
    },
  );
  return result.status ?? 1;
}

async function main(): Promise<number> {
  const { python } = await ensureVenv();
  // The job's decoding runs in the JVM validator: spark/tests load it into their local Spark.
  process.env.DATA_PIPELINE_VALIDATOR_JAR = await ensureValidatorJar();
  for (const name of packages) {
    const directory = join(repoRoot(), name);
    if (!existsSync(join(directory, "tests"))) continue;
    const steps: [string, string[]][] = [
      ["ruff", ["-m", "ruff", "check", "."]],
      ["black", ["-m", "black", "--check", "--quiet", "."]],
      ["pytest", ["-m", "pytest", "-p", "no:cacheprovider", "tests"]],
    ];
    for (const [label, args] of steps) {
      process.stdout.write(`test:python: ${name}: ${label}\n`);
      const result = spawnSync(python, args, { cwd: directory, stdio: "inherit" });
      if (result.status !== 0) {
        process.stderr.write(
          `test:python: ${name}: ${label} failed (exit ${result.status ?? result.signal})\n`,
        );
        return result.status ?? 1;
      }
    }
  }
  return contractTestsOnJobPython();
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`test:python: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
