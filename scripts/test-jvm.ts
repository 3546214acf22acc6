/**
 * `npm run test:jvm`: builds spark/validator (the Spark job's JVM validator) with Maven and runs its
 * JUnit tests (the shared cases of contracts/users.cases.json among them). Versions from
 * versions.json as Maven properties, as every build of the module.
 */
import { join } from "node:path";
import { mkdirSync, readFileSync } from "node:fs";
import { cacheDir } from "../tests/harness/lib";
import { runValidatorMaven } from "../tests/harness/services/validator";

async function main(): Promise<void> {
  mkdirSync(join(cacheDir(), "validator"), { recursive: true });
  const log = join(cacheDir(), "validator", "test-jvm.log");
  process.stdout.write(`test:jvm: mvn package (JUnit) in spark/validator; output in ${log}\n`);
  try {
    await runValidatorMaven(["package"], log, false);
  } catch (error) {
    process.stderr.write(readFileSync(log, "utf8").split("\n").slice(-60).join("\n"));
    throw error;
  }
  const summary = readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => /Tests run:.*Fail/.test(line))
    .at(-1);
  process.stdout.write(`test:jvm: ${summary?.replace(/^\[\w+\]\s*/, "") ?? "no test summary"}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`test:jvm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
