/**
 * Content-addressed image tags: a built image's tag changes exactly when its sources change, so a
 * cluster never runs a stale image under an old tag (and never `latest`).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const skipped = new Set([
  "node_modules",
  "dist",
  ".venv",
  "__pycache__",
  ".pytest_cache",
  ".cache",
  "target",
]);

function filesUnder(entry: string): string[] {
  const stat = fs.statSync(entry);
  if (stat.isFile()) return [entry];
  return fs
    .readdirSync(entry)
    .filter((name) => !skipped.has(name))
    .sort()
    .flatMap((name) => filesUnder(path.join(entry, name)));
}

/**
 * `<version>-<12 hex digits>`: the hash of every file under `paths` (relative to `root`), names
 * included, and of the build args (which carry the base images' versions). Throws when a path does
 * not exist, naming it.
 */
export function contentTag(
  version: string,
  root: string,
  paths: readonly string[],
  buildArgs: Readonly<Record<string, string>> = {},
): string {
  const hash = createHash("sha256");
  for (const relative of paths) {
    const absolute = path.join(root, relative);
    if (!fs.existsSync(absolute)) {
      throw new Error(
        `Unable to compute the image tag: ${absolute} does not exist. Build from a full checkout.`,
      );
    }
    for (const file of filesUnder(absolute)) {
      hash.update(path.relative(root, file));
      hash.update("\0");
      hash.update(fs.readFileSync(file));
      hash.update("\0");
    }
  }
  for (const [name, value] of Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${name}=${value}\0`);
  }
  return `${version}-${hash.digest("hex").slice(0, 12)}`;
}

/** The data-pipeline checkout this module runs from: the nearest folder up with our package.json. */
export function repositoryRoot(start: string = __dirname): string {
  let directory = start;
  for (;;) {
    const manifest = path.join(directory, "package.json");
    if (
      fs.existsSync(manifest) &&
      (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "data-pipeline"
    ) {
      return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`Unable to find the data-pipeline checkout above ${start}.`);
    directory = parent;
  }
}
