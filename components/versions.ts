/**
 * Pinned versions, read from the one manifest: `versions.json` at the repository root. Never
 * `latest`: a version changes only in a reviewed commit to that file. Everything else takes its
 * versions from here: the stack config defaults (infra/config.ts), the images components run, the
 * build args of our Dockerfiles (which pin nothing themselves), the Maven properties of our poms,
 * the test harness and the image tier's stand-ins. tests/unit/versions.test.ts fails when a
 * Dockerfile, pom or requirements file pins a version the manifest does not hold.
 */
import manifest from "../versions.json";

/** The manifest's entries (`versions.json`). */
export interface Versions {
  /** Confluent Platform 7.9.x: the last line that still ships ZooKeeper mode (KRaft is an option). */
  readonly confluentPlatform: string;
  /** Apache Cassandra 5.0.x: the official image and the test harness' `cassandra-all`. */
  readonly cassandra: string;
  /**
   * Apache Spark 3.5.x: the official image, pyspark, `spark-sql-kafka-0-10`. Only patch releases
   * that have the Kafka connector on Maven Central build (3.5.8+ have none).
   */
  readonly spark: string;
  /** Scala binary version of the Spark image and of every Spark connector artifact. */
  readonly scala: string;
  /** Java of the Spark image and of the Maven image that resolves the connector jars. */
  readonly java: string;
  /** `spark-cassandra-connector` (its 3.5.x line goes with Spark 3.5). */
  readonly sparkCassandraConnector: string;
  /** Apache Airflow 3.x: the official image and the `apache-airflow` pins in dags/requirements.txt. */
  readonly airflow: string;
  /** Python of the Airflow image (its tag suffix). */
  readonly airflowPython: string;
  /** Postgres 16.x, Airflow's metadata database. */
  readonly postgres: string;
  /** Debian release of the Node and Postgres image tags (and of the image tier's stand-in base). */
  readonly debian: string;
  /** Node.js of the producer image. */
  readonly node: string;
  /** Maven of the image that resolves the Spark job's connector jars. */
  readonly maven: string;
  /** maven-dependency-plugin, for every jar resolution (the job image and the harness). */
  readonly mavenDependencyPlugin: string;
  /** What builds and tests spark/validator (the job's JVM validator jar), besides Spark. */
  readonly validatorBuild: {
    /** JUnit Jupiter, its tests. */
    readonly junit: string;
    /** scala-library of the `spark` version's Scala (compile path only: javac reads Spark's Scala types). */
    readonly scalaLibrary: string;
    readonly mavenResourcesPlugin: string;
    readonly mavenCompilerPlugin: string;
    readonly mavenSurefirePlugin: string;
    readonly mavenJarPlugin: string;
  };
  /** The Docker API proxy Airflow starts containers through on the Docker target. */
  readonly dockerSocketProxy: string;
  /** busybox, the Kubernetes target's wait-for-dependency init containers. */
  readonly busybox: string;
  /** What the test harness runs where it must match the images. */
  readonly harness: {
    /** Apache Kafka broker (and its ZooKeeper): the Kafka line inside Confluent Platform 7.9. */
    readonly kafka: string;
  };
  /** What only the image tier's stand-in base images use. */
  readonly imageTier: {
    /** npm bundled into the stand-in Node image, as the official image bundles it. */
    readonly npm: string;
  };
}

/** Every pinned version. */
export const versions: Versions = manifest;

/** Confluent Platform version of every Confluent image. */
export const confluentPlatformVersion = versions.confluentPlatform;

/** The Confluent image repository for a component (`cp-kafka`, `cp-zookeeper`, ...). */
export function confluentImage(repository: string, version: string): string {
  return `confluentinc/${repository}:${version}`;
}

/** Entrypoint of every Confluent image (needed when the target wraps the start-up). */
export const confluentEntrypoint = ["/etc/confluent/docker/run"] as const;

/** Confluent images run as `appuser` (uid/gid 1000): Kubernetes runs them non-root as that user. */
export const confluentUser = { uid: 1000, gid: 1000 } as const;

/** Apache Cassandra version of the official image. */
export const cassandraVersion = versions.cassandra;

/** Apache Spark version (Scala, Java and Python 3 as the manifest says); pyspark and the connectors match it. */
export const sparkVersion = versions.spark;

/** The official Spark image for a version. */
export function sparkImage(version: string = sparkVersion): string {
  return `apache/spark:${version}-scala${versions.scala}-java${versions.java}-python3-ubuntu`;
}

/** The official Spark image runs as `spark` (uid/gid 185). */
export const sparkUser = { uid: 185, gid: 185 } as const;

/**
 * The official Cassandra image's `cassandra` user (uid/gid 999). The image starts as root and drops to
 * it with gosu; started as it directly (Pod Security `restricted` forbids root), the entrypoint skips
 * that step, and `fsGroup` 999 makes the data volume writable.
 */
export const cassandraUser = { uid: 999, gid: 999 } as const;

/** Apache Airflow version of the image we build on. */
export const airflowVersion = versions.airflow;

/** The official Airflow image for a version. */
export function airflowImage(version: string = airflowVersion): string {
  return `apache/airflow:${version}-python${versions.airflowPython}`;
}

/** Airflow's metadata database image. */
export const postgresImage = `postgres:${versions.postgres}-${versions.debian}`;

/** The base of the producer image. */
export const nodeImage = `node:${versions.node}-${versions.debian}-slim`;

/** The image of the Spark job's jar-resolving build stage. */
export const mavenImage = `maven:${versions.maven}-eclipse-temurin-${versions.java}`;

/**
 * The Maven properties our poms take their versions from (spark/pom.xml and
 * tests/harness/maven/*\/pom.xml declare none themselves), for a Spark version.
 */
export function mavenVersionProperties(spark: string = sparkVersion): Readonly<Record<string, string>> {
  return {
    "spark.version": spark,
    "scala.binary.version": versions.scala,
    "spark-cassandra-connector.version": versions.sparkCassandraConnector,
    "maven-dependency-plugin.version": versions.mavenDependencyPlugin,
    "kafka.version": versions.harness.kafka,
    "cassandra.version": versions.cassandra,
    "junit.version": versions.validatorBuild.junit,
    "scala-library.version": versions.validatorBuild.scalaLibrary,
    "maven-resources-plugin.version": versions.validatorBuild.mavenResourcesPlugin,
    "maven-compiler-plugin.version": versions.validatorBuild.mavenCompilerPlugin,
    "maven-surefire-plugin.version": versions.validatorBuild.mavenSurefirePlugin,
    "maven-jar-plugin.version": versions.validatorBuild.mavenJarPlugin,
  };
}

/** Build args of producer/Dockerfile. */
export function producerBuildArgs(): Readonly<Record<string, string>> {
  return { NODE_IMAGE: nodeImage };
}

/**
 * Build args of spark/Dockerfile for a Spark version: the Spark image of that version, and the
 * versions its Maven stage resolves the connector jars for (so `spark.version` builds what it says).
 */
export function streamingJobBuildArgs(spark: string = sparkVersion): Readonly<Record<string, string>> {
  return {
    MAVEN_IMAGE: mavenImage,
    SPARK_IMAGE: sparkImage(spark),
    SPARK_VERSION: spark,
    SCALA_BINARY_VERSION: versions.scala,
    SPARK_CASSANDRA_CONNECTOR_VERSION: versions.sparkCassandraConnector,
    MAVEN_DEPENDENCY_PLUGIN_VERSION: versions.mavenDependencyPlugin,
    JUNIT_VERSION: versions.validatorBuild.junit,
    SCALA_LIBRARY_VERSION: versions.validatorBuild.scalaLibrary,
    MAVEN_RESOURCES_PLUGIN_VERSION: versions.validatorBuild.mavenResourcesPlugin,
    MAVEN_COMPILER_PLUGIN_VERSION: versions.validatorBuild.mavenCompilerPlugin,
    MAVEN_SUREFIRE_PLUGIN_VERSION: versions.validatorBuild.mavenSurefirePlugin,
    MAVEN_JAR_PLUGIN_VERSION: versions.validatorBuild.mavenJarPlugin,
  };
}

/** Build args of airflow/Dockerfile. */
export function airflowBuildArgs(): Readonly<Record<string, string>> {
  return { AIRFLOW_IMAGE: airflowImage(), AIRFLOW_VERSION: airflowVersion };
}
