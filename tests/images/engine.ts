/**
 * The image tier's Docker engine, as the tests reach it: the CLI, the socket, the cache, and builds
 * whose context is sent as a tar stream, the way the Pulumi Docker provider sends it.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";

/**
 * Debian's docker.io CLI (20.10), which builds with BuildKit itself. A newer CLI found first on
 * PATH (28.x on these machines) hands BuildKit builds to the buildx plugin, which is not installed.
 */
export const dockerCli = process.env["IMAGES_DOCKER_CLI"] ?? "/usr/bin/docker";

/** Where the tier keeps the engine's data root, downloads and stand-in recipes' stamps. */
export const imagesCache =
  process.env["DATA_PIPELINE_IMAGES_CACHE"] ??
  join(process.env["DATA_PIPELINE_CACHE"] ?? join(homedir(), ".cache", "data-pipeline"), "images");

/** The host's CA bundle: the build secret `ca-bundle` of every build in this tier. */
export const systemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

/** Environment for the docker CLI: the tier's own engine (run.sh exports DOCKER_HOST). */
export function dockerEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_BUILDKIT: "1" };
}

/** Runs the docker CLI; returns stdout, throws with stderr on a non-zero exit. */
export function docker(args: readonly string[], input?: Buffer | string): string {
  const result = spawnSync(dockerCli, args, {
    env: dockerEnvironment(),
    input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`docker ${args.join(" ")} exited ${result.status}: ${result.stderr.trim().slice(-2000)}`);
  }
  return result.stdout;
}

/** Runs the docker CLI and returns the exit status and output without throwing. */
export function dockerStatus(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync(dockerCli, args, {
    env: dockerEnvironment(),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** True when the engine has an image by this reference. */
export function imageExists(reference: string): boolean {
  return dockerStatus(["image", "inspect", reference]).status === 0;
}

/** An image's size in bytes as the engine reports it. */
export function imageSize(reference: string): number {
  return Number(docker(["image", "inspect", "--format", "{{.Size}}", reference]).trim());
}

/** One dockerignore rule: a pattern as a regular expression, and whether it re-includes. */
interface IgnoreRule {
  readonly pattern: RegExp;
  readonly include: boolean;
}

/** dockerignore pattern -> regular expression over a slash-separated path relative to the context. */
function patternToRegExp(pattern: string): RegExp {
  const clean = pattern.replace(/^\/+/, "").replace(/\/+$/, "");
  let source = "";
  for (let i = 0; i < clean.length; i++) {
    const char = clean[i] as string;
    if (char === "*" && clean[i + 1] === "*") {
      // `**/` matches any number of directories, including none.
      source += clean[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += clean[i + 2] === "/" ? 2 : 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern that names a directory covers everything below it.
  return new RegExp(`^${source}(?:/.*)?$`);
}

/** The rules of `<dockerfile>.dockerignore`, else `<context>/.dockerignore`, as the docker CLI reads them. */
export function dockerignoreRules(context: string, dockerfile: string): IgnoreRule[] {
  const candidates = [`${dockerfile}.dockerignore`, join(context, ".dockerignore")];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) =>
      line.startsWith("!")
        ? { pattern: patternToRegExp(line.slice(1)), include: true }
        : { pattern: patternToRegExp(line), include: false },
    );
}

/** Whether a context-relative path is excluded: the last matching rule decides. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  let ignored = false;
  for (const rule of rules) if (rule.pattern.test(path)) ignored = !rule.include;
  return ignored;
}

/**
 * The files sent as build context: every file the dockerignore keeps, plus the Dockerfile and its
 * ignore file (the docker CLI always sends those). Directories that no rule could re-include are not
 * walked (node_modules, .git, .venv are large).
 */
export function contextFiles(context: string, dockerfile: string): string[] {
  const rules = dockerignoreRules(context, dockerfile);
  const files: string[] = [];
  const includePrefixes = rules.filter((rule) => rule.include);
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = join(directory, entry.name);
      const path = relative(context, full);
      if (entry.isDirectory()) {
        if (isIgnored(rules, path) && !includePrefixes.some((rule) => couldMatchBelow(rule.pattern, path)))
          continue;
        walk(full);
      } else if (entry.isFile() && !isIgnored(rules, path)) files.push(path);
    }
  };
  walk(context);
  for (const always of [dockerfile, `${dockerfile}.dockerignore`]) {
    const path = relative(context, always);
    if (existsSync(always) && !files.includes(path)) files.push(path);
  }
  return files.sort();
}

/** A cheap, conservative test: could a path below `directory` match this include rule? */
function couldMatchBelow(pattern: RegExp, directory: string): boolean {
  const source = pattern.source.replace(/^\^/, "");
  const literal = source.split(/[[(*.?\\]/)[0] ?? "";
  return literal === "" || literal.startsWith(`${directory}/`) || `${directory}/`.startsWith(literal);
}

/** What the Docker target passes for one build (see dev-stack.ts), plus the tier's own choices. */
export interface TarStreamBuild {
  readonly context: string;
  /** Absolute path of the Dockerfile inside `context`. */
  readonly dockerfile: string;
  readonly platform: string;
  readonly args: Readonly<Record<string, string>>;
  readonly tag: string;
  /** PEM bundle given as the build secret `ca-bundle`. */
  readonly caBundle?: string;
  readonly noCache?: boolean;
  /** Where the build's plain progress output goes. */
  readonly log: string;
}

/**
 * `tar -c <context files> | docker build -f <dockerfile> -`: the context as one tar stream, as the
 * Pulumi Docker provider uploads it. Resolves with the build's wall time in seconds.
 */
export async function buildFromTarStream(build: TarStreamBuild): Promise<number> {
  const files = contextFiles(build.context, build.dockerfile);
  const args = [
    "build",
    "--progress=plain",
    "-f",
    relative(build.context, build.dockerfile),
    "--platform",
    build.platform,
    "-t",
    build.tag,
    ...Object.entries(build.args).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
    ...(build.caBundle ? ["--secret", `id=ca-bundle,src=${build.caBundle}`] : []),
    ...(build.noCache ? ["--no-cache"] : []),
    "-",
  ];
  const started = process.hrtime.bigint();
  const { createWriteStream } = await import("node:fs");
  const log = createWriteStream(build.log);
  await new Promise<void>((resolve, reject) => {
    const tar = spawn("tar", ["-c", "--null", "-T", "-"], {
      cwd: build.context,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const dockerBuild = spawn(dockerCli, args, { env: dockerEnvironment(), stdio: ["pipe", "pipe", "pipe"] });
    tar.stdout.pipe(dockerBuild.stdin);
    dockerBuild.stdout.pipe(log, { end: false });
    dockerBuild.stderr.pipe(log, { end: false });
    tar.stdin.end(files.map((file) => `${file}\0`).join(""));
    dockerBuild.on("error", reject);
    dockerBuild.on("close", (code) => {
      log.end();
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `docker build of ${build.tag} (${relative(build.context, build.dockerfile)}) exited ${code} (log: ${build.log})`,
          ),
        );
    });
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** sha256 (hex, 16 chars) over the named files' paths and contents and some extra strings. */
export function recipeHash(files: readonly string[], extra: readonly string[] = []): string {
  const hash = createHash("sha256");
  for (const file of [...files].sort()) {
    hash.update(file);
    hash.update(statSync(file).isFile() ? readFileSync(file) : "");
  }
  for (const value of extra) hash.update(value);
  return hash.digest("hex").slice(0, 16);
}
