/**
 * The image tier's stand-ins for the upstream bases our Dockerfiles start FROM, named and versioned
 * from versions.json exactly as the components name the real images, so a version changed in the
 * manifest changes the stand-in that build.ts builds and the tag it gives it. Pure data: the unit
 * tests read it without an engine.
 */
import { airflowImage, mavenImage, nodeImage, sparkImage, versions } from "../../components/versions";

/** One stand-in: its directory under standins/, the upstream name it is tagged with, its inputs. */
export interface Standin {
  readonly name: string;
  /** The upstream image it replaces, as our build args name it. */
  readonly upstream: string;
  /** Downloads (build.ts's artifacts) copied into its context. */
  readonly artifacts: readonly string[];
  /** Repository files copied into its context, as `name in context` -> repository path. */
  readonly repositoryFiles?: Readonly<Record<string, string>>;
  /** Build args of its Dockerfile besides BASE_IMAGE: the versions the upstream tag stands for. */
  readonly args: Readonly<Record<string, string>>;
}

/** The stand-ins, by the upstream image each replaces (the images our Dockerfiles' build args name). */
export const standins: readonly Standin[] = [
  {
    name: "node",
    upstream: nodeImage,
    artifacts: ["node", "npm"],
    args: { NODE_VERSION: versions.node, NPM_VERSION: versions.imageTier.npm },
  },
  {
    name: "maven",
    upstream: mavenImage,
    artifacts: ["maven"],
    args: { MAVEN_VERSION: versions.maven, JAVA_VERSION: versions.java },
  },
  {
    name: "spark",
    upstream: sparkImage(),
    artifacts: ["pyspark"],
    args: { SPARK_VERSION: versions.spark, JAVA_VERSION: versions.java },
  },
  {
    name: "airflow",
    upstream: airflowImage(),
    artifacts: [],
    repositoryFiles: { "constraints.txt": "dags/requirements.txt" },
    args: { AIRFLOW_VERSION: versions.airflow, PYTHON_VERSION: versions.airflowPython },
  },
];

/**
 * The base images a set of our builds asks for (every build arg named `*_IMAGE`) that no stand-in
 * provides: the tier cannot build those, since nothing can be pulled here.
 */
export function basesWithoutStandin(buildArgs: readonly Readonly<Record<string, string>>[]): string[] {
  const provided = new Set(standins.map((standin) => standin.upstream));
  const wanted = buildArgs.flatMap((args) =>
    Object.entries(args)
      .filter(([name]) => name.endsWith("_IMAGE"))
      .map(([, image]) => image),
  );
  return [...new Set(wanted)].filter((image) => !provided.has(image)).sort();
}
