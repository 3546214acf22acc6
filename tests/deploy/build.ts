/**
 * Builds the deploy tier's binaries from the Go module proxy, each once per recipe, and caches them
 * under `${XDG_CACHE_HOME:-~/.cache}/data-pipeline/deploy/bin/<name>-<recipe hash>`.
 *
 * A recipe is everything that decides the binary: the Go module (go.mod, go.sum, our own sources in
 * it), the package, the flags and the Go version. Builds run under `nice -n 19` (CPU is shared) with
 * `-trimpath -ldflags "-s -w"` (no DWARF or symbol table: a smaller binary and a shorter link) and
 * share Go's one build cache, so packages common to two binaries compile once. Each build's wall
 * time and peak memory (max RSS of one toolchain process, from /usr/bin/time) go to build-log.jsonl.
 *
 * `tsx tests/deploy/build.ts` builds everything and prints the paths.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const deployDirectory = __dirname;

/** The versions every recipe pins (also the plugin versions the SDKs ask the engine for). */
export const versions = {
  pulumi: "v3.274.1",
  /** Installed under the version @pulumi/kubernetes in package-lock.json asks for. */
  kubernetesPlugin: "4.34.2",
  randomPlugin: "4.21.2",
  kubernetes: "v1.36.1",
  kwok: "v0.8.0",
} as const;

export interface Recipe {
  /** The binary's name (and its cache key's prefix). */
  readonly name: string;
  /** The Go module directory under tests/deploy. */
  readonly module: string;
  /** The package to build (a path inside the module or an import path). */
  readonly packagePath: string;
  readonly ldflags: string;
  /** Our own source files of the binary, relative to the module (hashed with go.mod and go.sum). */
  readonly sources: readonly string[];
  /** Runs before the build (writes generated inputs). */
  readonly prepare?: () => void;
}

const pulumiModule = "go";
const kubeModule = "kube";
/**
 * The provider keeps its own module: its code (January 2026) does not compile against the CLI's
 * pkg/v3 (v3.274.1), so it builds with the pulumi versions its own go.mod names (v3.215.0).
 */
const providerModule = "provider";

export const recipes: readonly Recipe[] = [
  {
    name: "pulumi-language-nodejs",
    module: pulumiModule,
    packagePath: "./standins/pulumi-language-nodejs",
    ldflags: "-s -w",
    sources: ["standins/pulumi-language-nodejs/main.go"],
  },
  {
    name: "pulumi-resource-random",
    module: pulumiModule,
    packagePath: "./standins/pulumi-resource-random",
    ldflags: "-s -w",
    sources: ["standins/pulumi-resource-random/main.go"],
  },
  {
    name: "kube",
    module: kubeModule,
    packagePath: ".",
    ldflags: [
      "-s -w",
      `-X k8s.io/component-base/version.gitVersion=${versions.kubernetes}`,
      `-X k8s.io/component-base/version.gitMajor=${versions.kubernetes.split(".")[0]!.slice(1)}`,
      `-X k8s.io/component-base/version.gitMinor=${versions.kubernetes.split(".")[1]}`,
    ].join(" "),
    sources: ["main.go"],
  },
  {
    name: "pulumi",
    module: pulumiModule,
    packagePath: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    ldflags: `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${versions.pulumi}`,
    sources: [],
  },
  {
    name: "pulumi-resource-kubernetes",
    module: providerModule,
    packagePath: ".",
    ldflags: `-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${versions.kubernetesPlugin}`,
    sources: ["main.go"],
    prepare: writeKubernetesProviderEmbeds,
  },
];

/** `${XDG_CACHE_HOME:-~/.cache}/data-pipeline/deploy`. */
export function cacheDirectory(): string {
  const base = process.env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache");
  return path.join(base, "data-pipeline", "deploy");
}

function goEnvironment(): NodeJS.ProcessEnv {
  // Builds resolve exactly the committed go.sum (no silent upgrade) with the local toolchain.
  return { ...process.env, GOFLAGS: "-mod=readonly -buildvcs=false", GOTOOLCHAIN: "local" };
}

function goVersion(): string {
  return execFileSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).trim();
}

/** The module directory of a dependency, downloaded if needed. */
export function moduleDirectory(module: string, dependency: string): string {
  const cwd = path.join(deployDirectory, module);
  execFileSync("go", ["mod", "download", dependency], { cwd, env: goEnvironment(), stdio: "inherit" });
  return execFileSync("go", ["list", "-m", "-f", "{{.Dir}}", dependency], {
    cwd,
    env: goEnvironment(),
    encoding: "utf8",
  }).trim();
}

/**
 * The provider's main embeds schema-embed.json and terraform-mapping-embed.json, which its Makefile
 * generates (cmd/pulumi-resource-kubernetes/generate.go) and the module zip lacks: the same
 * transformation, from the module's own schema.json and terraform-mapping.json.
 */
function writeKubernetesProviderEmbeds(): void {
  const source = path.join(
    moduleDirectory(providerModule, "github.com/pulumi/pulumi-kubernetes/provider/v4"),
    "cmd",
    "pulumi-resource-kubernetes",
  );
  const target = path.join(deployDirectory, providerModule);
  const schema = JSON.parse(fs.readFileSync(path.join(source, "schema.json"), "utf8")) as Record<
    string,
    unknown
  >;
  schema["version"] = versions.kubernetesPlugin;
  fs.writeFileSync(path.join(target, "schema-embed.json"), JSON.stringify(schema));
  const mapping: unknown = JSON.parse(fs.readFileSync(path.join(source, "terraform-mapping.json"), "utf8"));
  fs.writeFileSync(path.join(target, "terraform-mapping-embed.json"), JSON.stringify(mapping));
}

/** The recipe's hash: module files, our sources, package, flags, Go version. */
export function recipeHash(recipe: Recipe): string {
  const hash = createHash("sha256");
  const moduleRoot = path.join(deployDirectory, recipe.module);
  for (const file of ["go.mod", "go.sum", ...recipe.sources]) {
    hash
      .update(file)
      .update("\0")
      .update(fs.readFileSync(path.join(moduleRoot, file)))
      .update("\0");
  }
  hash.update(JSON.stringify([recipe.packagePath, recipe.ldflags, "-trimpath", goVersion()]));
  return hash.digest("hex").slice(0, 16);
}

export interface BuildRecord {
  readonly name: string;
  readonly hash: string;
  readonly seconds: number;
  /** Peak RSS of the largest single process of the build (KiB), when /usr/bin/time is there. */
  readonly maxRssKiB?: number;
  /** User + system CPU seconds of the build (about twice the wall time on 2 idle cores). */
  readonly cpuSeconds?: number;
  readonly at: string;
}

export function buildOne(recipe: Recipe, output: string, log: (line: string) => void): BuildRecord {
  recipe.prepare?.();
  const hash = recipeHash(recipe);
  const temporary = `${output}.tmp-${process.pid}`;
  const timeFile = `${temporary}.time`;
  const hasTime = fs.existsSync("/usr/bin/time");
  const goArgs = ["build", "-trimpath", "-ldflags", recipe.ldflags, "-o", temporary, recipe.packagePath];
  const command = hasTime
    ? ["/usr/bin/time", "-f", "%e %M %U %S", "-o", timeFile, "nice", "-n", "19", "go", ...goArgs]
    : ["nice", "-n", "19", "go", ...goArgs];
  log(`building ${recipe.name} (recipe ${hash}): go ${goArgs.join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command[0]!, command.slice(1), {
    cwd: path.join(deployDirectory, recipe.module),
    env: goEnvironment(),
    stdio: "inherit",
  });
  const seconds = (Date.now() - started) / 1000;
  if (result.status !== 0) {
    fs.rmSync(temporary, { force: true });
    throw new Error(
      `Unable to build ${recipe.name}: go build exited with ${result.status ?? result.signal}.`,
    );
  }
  let maxRssKiB: number | undefined;
  let cpuSeconds: number | undefined;
  if (hasTime) {
    const [, rss, user, system] = fs.readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(/\s+/);
    maxRssKiB = Number(rss);
    cpuSeconds = Number(user) + Number(system);
    fs.rmSync(timeFile, { force: true });
  }
  fs.renameSync(temporary, output);
  const record: BuildRecord = {
    name: recipe.name,
    hash,
    seconds,
    ...(maxRssKiB !== undefined ? { maxRssKiB } : {}),
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    at: new Date().toISOString(),
  };
  fs.appendFileSync(path.join(cacheDirectory(), "build-log.jsonl"), `${JSON.stringify(record)}\n`);
  log(
    `built ${recipe.name} in ${seconds.toFixed(0)} s${cpuSeconds !== undefined ? ` (${cpuSeconds.toFixed(0)} CPU s)` : ""}${maxRssKiB ? `, peak ${(maxRssKiB / 1024).toFixed(0)} MiB` : ""}`,
  );
  return record;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One build at a time per cache (a build started in the background by `.ci/run` and the tier that
 * needs its binaries): waits while another live process holds the lock; a dead holder's lock is taken.
 */
function withBuildLock<T>(log: (line: string) => void, body: () => T): T {
  const lock = path.join(cacheDirectory(), "build.lock");
  let waited = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, "utf8").trim());
      if (!holder || !alive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (!waited) log(`waiting for the build in process ${holder} to finish`);
      waited = true;
      execFileSync("sleep", ["5"]);
    }
  }
  try {
    return body();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Every binary of the tier by name: built now when its recipe has no cached binary yet. */
export function buildAll(log: (line: string) => void = console.log): {
  binaries: Record<string, string>;
  built: BuildRecord[];
} {
  fs.mkdirSync(cacheDirectory(), { recursive: true });
  return withBuildLock(log, () => buildMissing(log));
}

function buildMissing(log: (line: string) => void): {
  binaries: Record<string, string>;
  built: BuildRecord[];
} {
  const binDirectory = path.join(cacheDirectory(), "bin");
  fs.mkdirSync(binDirectory, { recursive: true });
  const binaries: Record<string, string> = {};
  const built: BuildRecord[] = [];
  for (const recipe of recipes) {
    recipe.prepare?.();
    const output = path.join(binDirectory, `${recipe.name}-${recipeHash(recipe)}`);
    if (fs.existsSync(output)) log(`cached ${recipe.name}: ${output}`);
    else built.push(buildOne(recipe, output, log));
    binaries[recipe.name] = output;
  }
  return { binaries, built };
}

if (require.main === module) {
  const { binaries } = buildAll();
  for (const [name, file] of Object.entries(binaries)) console.log(`${name}\t${file}`);
}
