/**
 * Finds version pins outside versions.json: in Dockerfiles (FROM lines, ARG defaults, versions in
 * instructions), poms (dependency versions and properties) and pip requirement files. Pure text
 * checks, each returning one line per problem (`line N: ...`), so tests can show they fail.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** One Dockerfile instruction: its keyword, its arguments (continuations joined), its first line. */
interface Instruction {
  readonly keyword: string;
  readonly text: string;
  readonly line: number;
}

function instructions(dockerfile: string): Instruction[] {
  const result: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  dockerfile.split("\n").forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#") || (trimmed === "" && pending === undefined)) return;
    const continued = trimmed.endsWith("\\");
    const body = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending
      ? { text: `${pending.text} ${body}`, line: pending.line }
      : { text: body, line: index + 1 };
    if (!continued) {
      const [keyword = "", ...rest] = pending.text.split(/\s+/);
      result.push({ keyword: keyword.toUpperCase(), text: rest.join(" "), line: pending.line });
      pending = undefined;
    }
  });
  return result;
}

/** A version written as a number (`3.5.7`, `2.12`, `python3.11`) or one of the manifest's values as a token. */
function versionLiterals(text: string, manifestValues: readonly string[]): string[] {
  const found: string[] = [...(text.match(/\d+\.\d+[\w.]*/g) ?? [])];
  for (const value of manifestValues) {
    const token = new RegExp(`(^|[^A-Za-z0-9.])${value.replace(/\./g, "\\.")}($|[^A-Za-z0-9.])`);
    if (token.test(text)) found.push(value);
  }
  return [...new Set(found)];
}

/** The build args a Dockerfile declares (`ARG NAME` or `ARG NAME=default`), in order. */
export function declaredBuildArgs(dockerfile: string): Map<string, string | undefined> {
  const declared = new Map<string, string | undefined>();
  for (const { keyword, text } of instructions(dockerfile)) {
    if (keyword !== "ARG") continue;
    const [name = "", ...value] = text.split("=");
    if (!declared.has(name)) declared.set(name, value.length > 0 ? value.join("=") : undefined);
  }
  return declared;
}

/**
 * Problems of a Dockerfile: a FROM that names an image instead of a build arg or an earlier stage;
 * an ARG default that differs from what the build passes (`expected`, from the manifest) or writes a
 * version; a version written in any other instruction. `manifestValues` are versions.json's values.
 */
export function dockerfileProblems(
  dockerfile: string,
  expected: Readonly<Record<string, string>>,
  manifestValues: readonly string[],
): string[] {
  const problems: string[] = [];
  const stages = new Set<string>();
  const globalArgs = new Set<string>();
  let seenFrom = false;
  for (const { keyword, text, line } of instructions(dockerfile)) {
    if (keyword === "FROM") {
      const words = text.split(/\s+/).filter((word) => !word.startsWith("--platform"));
      const image = words[0] ?? "";
      const argument = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(image)?.[1];
      if (!(argument !== undefined && globalArgs.has(argument)) && !stages.has(image)) {
        problems.push(
          `line ${line}: FROM ${image} names a base image; take it as a build arg (an ARG before the first FROM, passed from versions.json)`,
        );
      }
      if (words[1]?.toUpperCase() === "AS" && words[2]) stages.add(words[2]);
      seenFrom = true;
    } else if (keyword === "ARG") {
      const [name = "", ...rest] = text.split("=");
      if (!seenFrom) globalArgs.add(name);
      if (rest.length === 0) continue;
      const value = rest.join("=").replace(/^"(.*)"$/, "$1");
      if (expected[name] !== undefined && value !== expected[name]) {
        problems.push(
          `line ${line}: ARG ${name} defaults to ${value}, but versions.json makes it ${expected[name]}`,
        );
      } else if (expected[name] === undefined && versionLiterals(value, manifestValues).length > 0) {
        problems.push(`line ${line}: ARG ${name}=${value} pins a version; versions.json holds every version`);
      }
    } else {
      for (const literal of versionLiterals(text, manifestValues)) {
        problems.push(
          `line ${line}: ${keyword} writes the version ${literal}; take it as a build arg from versions.json`,
        );
      }
    }
  }
  return problems;
}

/** Text of each `<tag>` element directly in a pom fragment. */
function element(fragment: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(fragment)?.[1];
}

/** The Maven groups whose versions versions.json owns, and those whose Scala suffix is Spark's. */
export interface GovernedGroups {
  readonly versions: readonly string[];
  readonly sparkScala: readonly string[];
}

/**
 * Problems of a pom: a dependency or plugin of a group versions.json governs (Spark, the Cassandra
 * connector, Kafka, Cassandra, Maven's plugins) with a written version, or a Spark artifact with a
 * written Scala suffix, instead of a `${property}`; a property the pom uses that `properties` does
 * not provide; a property the pom defines with another value than `properties`.
 */
export function pomProblems(
  pom: string,
  properties: Readonly<Record<string, string>>,
  governed: GovernedGroups,
): string[] {
  const problems: string[] = [];
  const lineOf = (index: number) => pom.slice(0, index).split("\n").length;
  const defined = new Map<string, string>();
  const block = /<properties>([\s\S]*?)<\/properties>/.exec(pom);
  const blockStart = (block?.index ?? 0) + "<properties>".length;
  for (const match of (block?.[1] ?? "").matchAll(/<([\w.-]+)>\s*([^<]*?)\s*<\/\1>/g)) {
    const [, name = "", value = ""] = match;
    defined.set(name, value);
    if (properties[name] !== undefined && properties[name] !== value) {
      problems.push(
        `line ${lineOf(blockStart + (match.index ?? 0))}: property ${name} is ${value}, but versions.json makes it ${properties[name]}`,
      );
    }
  }
  for (const match of pom.matchAll(/<(dependency|plugin)>([\s\S]*?)<\/\1>/g)) {
    const body = (match[2] ?? "").replace(/<exclusions>[\s\S]*?<\/exclusions>/, "");
    const group = element(body, "groupId") ?? "";
    const artifact = element(body, "artifactId") ?? "";
    const version = element(body, "version");
    const line = lineOf(match.index ?? 0);
    if (governed.versions.includes(group) && version !== undefined && !version.includes("${")) {
      problems.push(
        `line ${line}: ${group}:${artifact} pins ${version}; write a \${property} that versions.json provides`,
      );
    }
    if (governed.sparkScala.includes(group) && /_\d+\.\d+$/.test(artifact)) {
      problems.push(
        `line ${line}: ${group}:${artifact} pins a Scala version; write _\${scala.binary.version}`,
      );
    }
  }
  for (const match of pom.matchAll(/\$\{([\w.-]+)\}/g)) {
    const name = match[1] ?? "";
    if (properties[name] === undefined && !defined.has(name) && !name.startsWith("project.")) {
      problems.push(`line ${lineOf(match.index ?? 0)}: \${${name}} is no property versions.json provides`);
    }
  }
  return problems;
}

/** `name==version` pins of a pip requirements file, names lower-cased with `_` as `-`. */
export function requirementPins(requirements: string): Map<string, { version: string; line: number }> {
  const pins = new Map<string, { version: string; line: number }>();
  requirements.split("\n").forEach((raw, index) => {
    const match = /^\s*([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)/.exec(raw);
    if (match?.[1] && match[2]) {
      pins.set(match[1].toLowerCase().replace(/_/g, "-"), { version: match[2], line: index + 1 });
    }
  });
  return pins;
}

/** Problems of a requirements file: a governed package (`pyspark` -> the Spark version) pinned to another version. */
export function requirementProblems(
  requirements: string,
  governed: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  for (const [name, { version, line }] of requirementPins(requirements)) {
    const wanted = governed[name];
    if (wanted !== undefined && version !== wanted) {
      problems.push(`line ${line}: ${name}==${version}, but versions.json makes it ${wanted}`);
    }
  }
  return problems;
}

const skipped = new Set(["node_modules", ".git", ".venv", ".cache", "dist", "target", "__pycache__"]);

/** Files under `root` (relative paths, sorted) whose name matches `name`, outside dependencies and caches. */
export function filesNamed(root: string, name: RegExp): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory).sort()) {
      if (skipped.has(entry)) continue;
      const path = join(directory, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.test(entry) && existsSync(path)) found.push(relative(root, path));
    }
  };
  walk(root);
  return found;
}

/** Every string value of a JSON document (the manifest's versions), `$comment` keys left out. */
export function manifestValues(manifest: unknown): string[] {
  if (typeof manifest === "string") return [manifest];
  if (manifest === null || typeof manifest !== "object") return [];
  return Object.entries(manifest).flatMap(([key, value]) =>
    key.startsWith("$") ? [] : manifestValues(value),
  );
}
