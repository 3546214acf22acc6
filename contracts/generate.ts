/**
 * Writes the contract's artifacts for programs that do not run TypeScript (the PySpark job and its
 * record rules, the Cassandra schema job, the DAG): `npx tsx contracts/generate.ts` writes them, `--check` fails when a
 * checked-in file differs from what contracts/users.ts and contracts/interfaces.ts give (the unit
 * tests run the same check). Names are relative to contracts/.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { interfaceArtifacts } from "./interface-artifacts";
import { userRules } from "./rules";
import { unicodeTableText } from "./unicode-table";
import { userAvroSchema, userCqlCreateTable, userSparkStructType } from "./users";

/** Every generated artifact: file name (in contracts/) and its expected content. */
export function contractArtifacts(): Record<string, string> {
  return {
    "users.avsc": JSON.stringify(userAvroSchema(), null, 2) + "\n",
    "users.spark.json": JSON.stringify(userSparkStructType(), null, 2) + "\n",
    "users.cql": userCqlCreateTable() + "\n",
    "users.rules.json": JSON.stringify(userRules, null, 2) + "\n",
    "users.unicode.json": unicodeTableText(),
    ...interfaceArtifacts(__dirname),
  };
}

/** Names of the artifacts whose checked-in content differs from the contract. */
export function staleArtifacts(directory = __dirname): string[] {
  return Object.entries(contractArtifacts())
    .filter(([name, content]) => {
      try {
        return readFileSync(join(directory, name), "utf8") !== content;
      } catch {
        return true;
      }
    })
    .map(([name]) => name);
}

if (require.main === module) {
  if (process.argv.includes("--check")) {
    const stale = staleArtifacts();
    if (stale.length > 0) {
      process.stderr.write(`contracts: ${stale.join(", ")} out of date; run npx tsx contracts/generate.ts\n`);
      process.exitCode = 1;
    }
  } else {
    for (const [name, content] of Object.entries(contractArtifacts()))
      writeFileSync(join(__dirname, name), content);
  }
}
