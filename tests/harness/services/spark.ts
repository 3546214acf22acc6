import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { JavaRuntime, MavenArtifacts } from "../lib";
import {
  HarnessError,
  defineService,
  findJava,
  freePorts,
  loopback,
  progress,
  resolveMaven,
  startJavaProcess,
} from "../lib";
import { versions } from "../../../components/versions";
import { ensureValidatorJar } from "./validator";
import { ensureVenv } from "./venv";
import type { PythonEnvironment } from "./venv";

/** How a PySpark program uses the harness' Spark (JSON-serializable). */
export interface SparkEndpoint {
  /** The standalone master: `spark://127.0.0.1:<port>` (one worker, 2 cores, 2 GiB). */
  readonly masterUrl: string;
  /** An in-process master for the same programs: `local[2]`. */
  readonly localMasterUrl: string;
  /** The master's web UI (its `/json/` lists the workers). */
  readonly masterWebUrl: string;
  /** The project venv's python, which has pyspark. */
  readonly pythonPath: string;
  /** Connector jars (Kafka, Cassandra and their dependencies not in pyspark) for `spark.jars`. */
  readonly jars: readonly string[];
  /** pyspark's package directory, used as SPARK_HOME. */
  readonly sparkHome: string;
  /** Spark version of pyspark and the connectors, e.g. `3.5.7`. */
  readonly sparkVersion: string;
  /** Environment to run a PySpark driver with: SPARK_HOME, JAVA_HOME, SPARK_LOCAL_IP, PYSPARK_PYTHON. */
  readonly environment: Readonly<Record<string, string>>;
}

/** Spark's connector jars resolved for the installed pyspark. */
export interface SparkArtifacts {
  readonly python: PythonEnvironment;
  readonly sparkHome: string;
  readonly sparkVersion: string;
  /** Connector jars, minus any artifact pyspark already ships. */
  readonly jars: readonly string[];
  /** Jars dropped because pyspark/jars has the same artifact (normally none: the pom excludes them). */
  readonly duplicates: readonly string[];
}

const workerCores = 2;
const workerMemory = "2g";
const daemonHeap = "-Xmx256m";

/** Artifact name of a jar file name: `kafka-clients-3.4.1.jar` → `kafka-clients`. */
export function artifactName(fileName: string): string {
  return fileName.replace(/\.jar$/, "").replace(/-\d[^-]*(?:-.*)?$/, "");
}

/**
 * Connector jars minus those whose artifact pyspark already ships (Spark's own version wins on the
 * classpath anyway; dropping the duplicate avoids two versions of one class).
 */
export function withoutShippedArtifacts(
  connectorJars: readonly string[],
  shippedJarNames: readonly string[],
): { jars: string[]; duplicates: string[] } {
  const shipped = new Set(shippedJarNames.map(artifactName));
  const jars: string[] = [];
  const duplicates: string[] = [];
  for (const jar of connectorJars) {
    const fileName = jar.split("/").pop() ?? jar;
    (shipped.has(artifactName(fileName)) ? duplicates : jars).push(jar);
  }
  return { jars, duplicates };
}

/**
 * Builds the venv (pyspark), resolves the connector jars from tests/harness/maven/spark/pom.xml, and
 * checks that pyspark and the Kafka connector carry the same Spark version.
 */
export async function prepareSpark(): Promise<SparkArtifacts> {
  const python = await ensureVenv();
  const sparkHome = join(python.sitePackages, "pyspark");
  const shippedDirectory = join(sparkHome, "jars");
  if (!existsSync(shippedDirectory)) {
    throw new HarnessError(
      "spark",
      `pyspark is not installed in ${python.root} (check spark/requirements.txt)`,
    );
  }
  const shippedJarNames = readdirSync(shippedDirectory).filter((name) => name.endsWith(".jar"));
  const sparkVersion = versionOf(shippedJarNames, jarPattern("spark-core")) ?? "unknown";
  const connectors: MavenArtifacts = await resolveMaven("spark");
  const connectorNames = connectors.classpath.map((jar) => jar.split("/").pop() ?? jar);
  const kafkaVersion = versionOf(connectorNames, jarPattern("spark-sql-kafka-0-10"));
  if (kafkaVersion !== sparkVersion) {
    throw new HarnessError(
      "spark",
      `pyspark ships Spark ${sparkVersion} but spark-sql-kafka is ${kafkaVersion ?? "missing"}; ` +
        "pin pyspark in spark/requirements.txt to the spark version of versions.json",
    );
  }
  const { jars, duplicates } = withoutShippedArtifacts(connectors.classpath, shippedJarNames);
  // The job's JVM validator: its UDF runs in the executors, so it goes with --jars as well.
  jars.push(await ensureValidatorJar());
  if (duplicates.length > 0) {
    progress("spark", `left out ${duplicates.length} jar(s) pyspark already ships: ${duplicates.join(", ")}`);
  }
  return { python, sparkHome, sparkVersion, jars, duplicates };
}

/** The file name of a Spark artifact's jar for the Scala of versions.json; its group 1 is the version. */
function jarPattern(artifact: string): RegExp {
  return new RegExp(`^${artifact}_${versions.scala.replace(/\./g, "\\.")}-(.+)\\.jar$`);
}

function versionOf(fileNames: readonly string[], pattern: RegExp): string | undefined {
  for (const name of fileNames) {
    const match = pattern.exec(name);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/** Environment for Spark processes: pyspark as SPARK_HOME, Java 17, loopback only. */
export function sparkEnvironment(artifacts: SparkArtifacts, java: JavaRuntime): Record<string, string> {
  return {
    SPARK_HOME: artifacts.sparkHome,
    SPARK_SCALA_VERSION: versions.scala,
    SPARK_LOCAL_IP: loopback,
    SPARK_LOCAL_HOSTNAME: loopback,
    JAVA_HOME: java.home,
    PYSPARK_PYTHON: artifacts.python.python,
    PYSPARK_DRIVER_PYTHON: artifacts.python.python,
  };
}

interface MasterStatus {
  readonly status?: string;
  readonly aliveworkers?: number;
  readonly cores?: number;
}

/** Readiness: the master's JSON status says ALIVE with at least `workers` alive workers. */
function masterAnswers(webUrl: string, workers: number): () => Promise<boolean> {
  return async () => {
    const response = await fetch(`${webUrl}/json/`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) return false;
    const status = (await response.json()) as MasterStatus;
    return status.status === "ALIVE" && (status.aliveworkers ?? 0) >= workers;
  };
}

/**
 * Spark 3.5 from pyspark (PyPI) in the project venv, with the Kafka and Cassandra connectors from
 * Maven Central: a standalone master and one worker (2 cores, 2 GiB) started from pyspark's jars on
 * Java 17, on loopback with free ports. PySpark programs can also use `local[2]` with the same jars.
 */
export const sparkService = defineService<SparkEndpoint>({
  name: "spark",
  description: "Apache Spark 3.5 standalone master + worker (pyspark) with Kafka and Cassandra connectors",
  prepare: async () => void (await prepareSpark()),
  async start(context) {
    const artifacts = await prepareSpark();
    const java = findJava("spark", { minimum: 17, maximum: 17 });
    const [masterPort, masterWebPort, workerPort, workerWebPort] = await freePorts(4);
    if (!masterPort || !masterWebPort || !workerPort || !workerWebPort) {
      throw new HarnessError("spark", "no free port");
    }
    const environment = sparkEnvironment(artifacts, java);
    const workDirectory = join(context.dataDir, "work");
    const localDirectory = join(context.dataDir, "local");
    mkdirSync(workDirectory, { recursive: true });
    mkdirSync(localDirectory, { recursive: true });
    const masterUrl = `spark://${loopback}:${masterPort}`;
    const masterWebUrl = `http://${loopback}:${masterWebPort}`;
    const classpath = [join(artifacts.sparkHome, "conf"), join(artifacts.sparkHome, "jars", "*")];
    progress("spark", `starting master on ${masterUrl}`);
    const master = await startJavaProcess({
      service: "spark",
      name: "spark-master",
      stateDir: context.stateDir,
      logDir: context.logDir,
      java,
      classpath,
      mainClass: "org.apache.spark.deploy.master.Master",
      jvmArgs: [daemonHeap],
      args: ["--host", loopback, "--port", String(masterPort), "--webui-port", String(masterWebPort)],
      env: environment,
      ports: [masterPort, masterWebPort],
      readiness: masterAnswers(masterWebUrl, 0),
    });
    try {
      const worker = await startJavaProcess({
        service: "spark",
        name: "spark-worker",
        stateDir: context.stateDir,
        logDir: context.logDir,
        java,
        classpath,
        mainClass: "org.apache.spark.deploy.worker.Worker",
        jvmArgs: [daemonHeap],
        args: [
          "--host",
          loopback,
          "--port",
          String(workerPort),
          "--webui-port",
          String(workerWebPort),
          "--cores",
          String(workerCores),
          "--memory",
          workerMemory,
          "--work-dir",
          workDirectory,
          masterUrl,
        ],
        env: { ...environment, SPARK_LOCAL_DIRS: localDirectory },
        ports: [workerPort, workerWebPort],
        readiness: masterAnswers(masterWebUrl, 1),
      });
      return {
        endpoint: {
          masterUrl,
          localMasterUrl: `local[${workerCores}]`,
          masterWebUrl,
          pythonPath: artifacts.python.python,
          jars: artifacts.jars,
          sparkHome: artifacts.sparkHome,
          sparkVersion: artifacts.sparkVersion,
          environment,
        },
        processes: [master, worker],
      };
    } catch (error) {
      await master.stop(5_000);
      throw error;
    }
  },
});
