/**
 * versions.json is the one place a version is written: every Dockerfile takes its base images and
 * versions as build args (exactly those the build passes), every pom takes its governed versions as
 * Maven properties the manifest provides, every pip pin of a service matches the manifest, and the
 * stack config's version defaults are the manifest's. Each checker is also shown to fail.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import manifest from "../../versions.json";
import {
  airflowBuildArgs,
  mavenVersionProperties,
  producerBuildArgs,
  streamingJobBuildArgs,
  versions,
} from "../../components/versions";
import { repositoryRoot } from "../../components/image-tag";
import { parseStackConfig } from "../../infra/config";
import { basesWithoutStandin, standins } from "../images/standins";
import {
  declaredBuildArgs,
  dockerfileProblems,
  filesNamed,
  manifestValues,
  pomProblems,
  requirementProblems,
} from "./support/version-pins";

const root = repositoryRoot();
const read = (file: string) => readFileSync(join(root, file), "utf8");
const values = manifestValues(manifest);

/** What each Dockerfile is built with: our images by their components, the stand-ins by the image tier. */
const buildArgsByDockerfile: Record<string, Readonly<Record<string, string>>> = {
  "producer/Dockerfile": producerBuildArgs(),
  "spark/Dockerfile": streamingJobBuildArgs(),
  "airflow/Dockerfile": airflowBuildArgs(),
  ...Object.fromEntries(
    standins.map((standin) => [
      `tests/images/standins/${standin.name}/Dockerfile`,
      { BASE_IMAGE: "bookworm-base", ...standin.args },
    ]),
  ),
};

/** Maven groups whose versions versions.json owns (Kafka's own Scala build, kafka_2.13, is not Spark's). */
const governedGroups = {
  versions: [
    "org.apache.spark",
    "com.datastax.spark",
    "org.apache.kafka",
    "org.apache.cassandra",
    "org.apache.maven.plugins",
  ],
  sparkScala: ["org.apache.spark", "com.datastax.spark"],
};

/** pip packages whose versions versions.json owns. */
const governedPackages = {
  pyspark: versions.spark,
  "apache-airflow": versions.airflow,
  "apache-airflow-core": versions.airflow,
};

test("every Dockerfile in the repository is one whose build args are known", (t) => {
  t.deepEqual(filesNamed(root, /^Dockerfile$/), Object.keys(buildArgsByDockerfile).sort());
});

for (const [dockerfile, buildArgs] of Object.entries(buildArgsByDockerfile)) {
  test(`${dockerfile} pins no version: its FROM lines and versions are build args from versions.json`, (t) => {
    const text = read(dockerfile);
    t.deepEqual(dockerfileProblems(text, buildArgs, values), []);
    t.deepEqual(
      [...declaredBuildArgs(text).keys()].sort(),
      Object.keys(buildArgs).sort(),
      "the ARGs it declares are exactly the build args it is given",
    );
  });
}

for (const pom of filesNamed(root, /^pom\.xml$/)) {
  test(`${pom} writes no governed version: Maven properties from versions.json`, (t) => {
    t.deepEqual(pomProblems(read(pom), mavenVersionProperties(), governedGroups), []);
  });
}

for (const requirements of filesNamed(root, /^requirements.*\.txt$/)) {
  test(`${requirements} pins pyspark and Airflow to versions.json`, (t) => {
    t.deepEqual(requirementProblems(read(requirements), governedPackages), []);
  });
}

test("spark/requirements.txt and dags/requirements.txt pin the services' packages at all", (t) => {
  t.true(read("spark/requirements.txt").includes(`pyspark==${versions.spark}\n`));
  t.true(read("dags/requirements.txt").includes(`apache-airflow==${versions.airflow}\n`));
});

test("the stack config's version keys default to versions.json and keep to its lines", (t) => {
  const config = parseStackConfig({ target: "docker" });
  t.is(config.confluentVersion, versions.confluentPlatform);
  t.is(config.cassandra.version, versions.cassandra);
  t.is(config.spark.version, versions.spark);
  t.throws(() => parseStackConfig({ target: "docker", spark: { version: "4.0.1" } }), {
    message: /data-pipeline:spark\.version = "4\.0\.1" is not allowed: expected an exact Spark 3\.5 version/,
  });
});

test("the image tier has a stand-in for every base image our builds name", (t) => {
  t.deepEqual(basesWithoutStandin([producerBuildArgs(), streamingJobBuildArgs(), airflowBuildArgs()]), []);
  t.deepEqual(basesWithoutStandin([streamingJobBuildArgs("3.5.6")]), [
    `apache/spark:3.5.6-scala${versions.scala}-java${versions.java}-python3-ubuntu`,
  ]);
});

test("spark.version reaches every version of the job image build: the base, the connectors' Spark", (t) => {
  const args = streamingJobBuildArgs("3.5.6");
  t.is(args["SPARK_VERSION"], "3.5.6");
  t.regex(args["SPARK_IMAGE"] ?? "", /^apache\/spark:3\.5\.6-/);
  t.true(read("spark/Dockerfile").includes('-Dspark.version="$SPARK_VERSION"'));
});

// The checkers can fail: each planted pin is reported, naming the line and the version.

test("dockerfileProblems reports a pinned FROM, a disagreeing ARG default and a version in RUN", (t) => {
  const planted = [
    "ARG NODE_IMAGE=node:22.20.0-bookworm-slim",
    "FROM ${NODE_IMAGE} AS build",
    "FROM maven:3.9.9-eclipse-temurin-17 AS jars",
    'RUN pip install "pyspark==3.5.6"',
    "RUN apt-get install -y openjdk-17-jdk-headless",
    "FROM build",
  ].join("\n");
  t.deepEqual(dockerfileProblems(planted, producerBuildArgs(), values), [
    `line 1: ARG NODE_IMAGE defaults to node:22.20.0-bookworm-slim, but versions.json makes it ${producerBuildArgs()["NODE_IMAGE"]}`,
    "line 3: FROM maven:3.9.9-eclipse-temurin-17 names a base image; take it as a build arg (an ARG before the first FROM, passed from versions.json)",
    "line 4: RUN writes the version 3.5.6; take it as a build arg from versions.json",
    "line 5: RUN writes the version 17; take it as a build arg from versions.json",
  ]);
});

test("pomProblems reports a written version, a Scala suffix, a disagreeing or unknown property", (t) => {
  const planted = `<project>
  <properties>
    <spark.version>3.5.6</spark.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.spark</groupId>
      <artifactId>spark-sql-kafka-0-10_2.12</artifactId>
      <version>3.5.7</version>
    </dependency>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>\${cassandra.release}</version>
    </dependency>
  </dependencies>
</project>`;
  t.deepEqual(pomProblems(planted, mavenVersionProperties(), governedGroups), [
    `line 3: property spark.version is 3.5.6, but versions.json makes it ${versions.spark}`,
    "line 6: org.apache.spark:spark-sql-kafka-0-10_2.12 pins 3.5.7; write a ${property} that versions.json provides",
    "line 6: org.apache.spark:spark-sql-kafka-0-10_2.12 pins a Scala version; write _${scala.binary.version}",
    "line 14: ${cassandra.release} is no property versions.json provides",
  ]);
});

test("requirementProblems reports a service package pinned to another version", (t) => {
  t.deepEqual(requirementProblems("numpy==1.26.4\npyspark==3.5.6\n", governedPackages), [
    `line 2: pyspark==3.5.6, but versions.json makes it ${versions.spark}`,
  ]);
});
