import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { HarnessError } from "./errors";

/** A Java installation found by {@link findJava}. */
export interface JavaRuntime {
  /** The `java` executable. */
  readonly executable: string;
  /** JAVA_HOME of that executable. */
  readonly home: string;
  /** Feature release, e.g. 17 or 25. */
  readonly major: number;
}

/** Version bounds for {@link findJava}. */
export interface JavaRequirement {
  /** Lowest feature release accepted. */
  readonly minimum: number;
  /**
   * Highest feature release accepted (Cassandra 5 and Spark 3.5 stop at 17).
   * @default no upper bound
   */
  readonly maximum?: number;
}

/**
 * Finds a Java runtime for a service, looking at `$JAVA_HOME`, then `java` on `PATH`, then every
 * JDK under /usr/lib/jvm, and returning the first one inside the bounds. Throws a one-line
 * {@link HarnessError} naming the service when none fits.
 */
export function findJava(service: string, requirement: JavaRequirement): JavaRuntime {
  const seen: string[] = [];
  for (const home of candidateHomes()) {
    const major = readMajor(home);
    if (major === undefined) continue;
    seen.push(`${home} (${major})`);
    if (major >= requirement.minimum && (requirement.maximum === undefined || major <= requirement.maximum)) {
      return { executable: join(home, "bin", "java"), home, major };
    }
  }
  const wanted = requirement.maximum
    ? `${requirement.minimum}..${requirement.maximum}`
    : `${requirement.minimum}+`;
  throw new HarnessError(
    service,
    `missing java: needs Java ${wanted}; found ${seen.length ? seen.join(", ") : "none"} (set JAVA_HOME)`,
  );
}

function candidateHomes(): string[] {
  const homes: string[] = [];
  const add = (home: string | undefined): void => {
    if (home && !homes.includes(home) && existsSync(join(home, "bin", "java"))) homes.push(home);
  };
  add(process.env.JAVA_HOME);
  for (const directory of (process.env.PATH ?? "").split(delimiter)) {
    const executable = join(directory, "java");
    if (existsSync(executable)) add(dirname(dirname(realpathSync(executable))));
  }
  const jvmRoot = "/usr/lib/jvm";
  if (existsSync(jvmRoot)) {
    for (const name of readdirSync(jvmRoot).sort()) add(realpathSafe(join(jvmRoot, name)));
  }
  return homes;
}

function realpathSafe(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function readMajor(home: string): number | undefined {
  const releaseFile = join(home, "release");
  if (!existsSync(releaseFile)) return undefined;
  const match = /JAVA_VERSION="(\d+)(?:\.(\d+))?/.exec(readFileSync(releaseFile, "utf8"));
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}
