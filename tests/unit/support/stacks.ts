/**
 * The committed stack files as raw config objects (keys without the `data-pipeline:` namespace).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const repositoryRoot = path.resolve(__dirname, "..", "..", "..");

/** Raw config of stacks/Pulumi.<stack>.yaml. */
export function stackFileConfig(stack: "dev" | "staging"): Record<string, unknown> {
  const file = path.join(repositoryRoot, "stacks", `Pulumi.${stack}.yaml`);
  const document = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(document.config).map(([key, value]) => [key.replace(/^data-pipeline:/, ""), value]),
  );
}
