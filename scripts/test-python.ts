/**
 * `npm run test:python`: builds or reuses the project venv through the harness (pinned
 * spark/requirements.txt, dags/requirements.txt, requirements-dev.txt), then for each Python
 * package present (spark/, dags/) checks ruff and black and runs its pytest suite. Exit status is
 * the first failure's.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../tests/harness/lib";
import { ensureVenv } from "../tests/harness/services/venv";

const packages = ["spark", "dags"];

async function main(): Promise<number> {
  const { python } = await ensureVenv();
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
  return 0;
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
