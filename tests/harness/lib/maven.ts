import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { mavenVersionProperties, versions } from "../../../components/versions";
import { HarnessError, progress } from "./errors";
import { cacheDir, repoRoot } from "./paths";

/** Pinned plugin used for every resolution, so a Maven upgrade does not change the layout. */
const dependencyPlugin = `org.apache.maven.plugins:maven-dependency-plugin:${versions.mavenDependencyPlugin}`;

/** How the dependencies of `tests/harness/maven/<service>/pom.xml` land in the cache. */
export type MavenLayout =
  /** Every runtime jar copied flat into the directory (a classpath). */
  | "copy"
  /** Every dependency archive (zip, tar.gz, jar) unpacked into the directory (a distribution). */
  | "unpack";

/** Result of {@link resolveMaven}. */
export interface MavenArtifacts {
  /** `<cache>/<service>/lib`: the copied jars or the unpacked distribution. */
  readonly directory: string;
  /** Absolute paths of the `*.jar` files directly in `directory`, sorted (empty for unpacked layouts). */
  readonly classpath: readonly string[];
}

/** Options of {@link resolveMaven}. */
export interface MavenResolveOptions {
  /**
   * Copy jars or unpack archives.
   * @default "copy"
   */
  readonly layout?: MavenLayout;
}

/**
 * Resolves the dependencies declared in `tests/harness/maven/<service>/pom.xml` through Maven itself
 * (transitives included) into `<cache>/<service>/lib`, with the versions of versions.json as Maven
 * properties (`-Dspark.version=...`; the poms write none). Idempotent: a stamp holding the hash of
 * the pom, the versions and the layout makes a warm call return without running Maven at all. Maven's download lines
 * are echoed as progress. Set `DATA_PIPELINE_M2` to use another local repository (e.g. an empty
 * temp dir to measure a cold cache).
 */
export async function resolveMaven(
  service: string,
  options: MavenResolveOptions = {},
): Promise<MavenArtifacts> {
  const layout = options.layout ?? "copy";
  const pomPath = join(repoRoot(), "tests", "harness", "maven", service, "pom.xml");
  if (!existsSync(pomPath)) throw new HarnessError(service, `no Maven pom at ${pomPath}`);
  const serviceCache = join(cacheDir(), service);
  const directory = join(serviceCache, "lib");
  const stampPath = join(serviceCache, "stamp");
  const properties = Object.entries(mavenVersionProperties()).map(([name, value]) => `-D${name}=${value}`);
  const stamp = createHash("sha256")
    .update(readFileSync(pomPath))
    .update(properties.join("\0"))
    .update(layout)
    .digest("hex");
  if (existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp && existsSync(directory)) {
    return { directory, classpath: listJars(directory) };
  }
  mkdirSync(serviceCache, { recursive: true });
  const staging = `${directory}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const logPath = join(serviceCache, "maven.log");
  progress(service, `resolving artifacts with Maven (${layout}); full output in ${logPath}`);
  const goal = layout === "copy" ? "copy-dependencies" : "unpack-dependencies";
  const args = [
    "-B",
    "-f",
    pomPath,
    `${dependencyPlugin}:${goal}`,
    `-DoutputDirectory=${staging}`,
    // Unpack markers would otherwise land in tests/harness/maven/<service>/target and skip later unpacks.
    `-DmarkersDirectory=${staging}.markers`,
    "-DincludeScope=runtime",
    ...properties,
  ];
  const localRepository = process.env.DATA_PIPELINE_M2;
  if (localRepository) args.push(`-Dmaven.repo.local=${localRepository}`);
  try {
    await runMaven(service, args, logPath);
  } finally {
    rmSync(`${staging}.markers`, { recursive: true, force: true });
  }
  rmSync(directory, { recursive: true, force: true });
  renameSync(staging, directory);
  writeFileSync(stampPath, stamp);
  return { directory, classpath: listJars(directory) };
}

/** Absolute paths of the jars directly inside `directory`, sorted by name. */
export function listJars(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.endsWith(".jar"))
    .sort()
    .map((name) => join(directory, name));
}

function runMaven(service: string, args: string[], logPath: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logPath);
    const child = spawn(process.env.DATA_PIPELINE_MVN ?? "mvn", args, { stdio: ["ignore", "pipe", "pipe"] });
    const started = Date.now();
    let files = 0;
    let lastOutput = Date.now();
    let firstError: string | undefined;
    const say = (message: string): void => {
      lastOutput = Date.now();
      progress(service, message);
    };
    const heartbeat = setInterval(() => {
      if (Date.now() - lastOutput >= 10_000) {
        say(`still resolving (${files} files so far, ${Math.round((Date.now() - started) / 1000)}s)`);
      }
    }, 2_000);
    const onLine = (line: string): void => {
      log.write(`${line}\n`);
      const transfer = /^(?:\[INFO\] )?(Downloading|Downloaded) from [^:]+: (\S+)(.*)$/.exec(line);
      const file = transfer?.[2]?.split("/").pop();
      if (transfer && file && !file.endsWith(".pom") && !file.endsWith(".sha1")) {
        if (transfer[1] === "Downloaded") {
          files += 1;
          say(`downloaded ${file}${transfer[3] ?? ""}`);
        } else if (!file.endsWith(".jar")) {
          say(`downloading ${file} (an archive: this can take a minute)`);
        }
      }
      if (firstError === undefined && line.startsWith("[ERROR]") && line.length > 8)
        firstError = line.slice(8);
    };
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearInterval(heartbeat);
      log.end();
      const cause = error.code === "ENOENT" ? "mvn not found on PATH (install Maven 3.8+)" : error.message;
      reject(new HarnessError(service, cause, logPath));
    });
    child.on("close", (code) => {
      clearInterval(heartbeat);
      log.end();
      if (code === 0) {
        progress(
          service,
          `artifacts resolved in ${Math.round((Date.now() - started) / 1000)}s (${files} files downloaded)`,
        );
        resolvePromise();
      } else {
        reject(
          new HarnessError(
            service,
            `Maven download refused or failed: ${firstError ?? `exit ${code}`}`,
            logPath,
          ),
        );
      }
    });
  });
}
