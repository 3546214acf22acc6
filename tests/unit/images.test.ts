import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findResource,
  registeredResources,
  resetRegistered,
  settle,
  unwrapSecrets,
  valueOf,
} from "./support/mocks";
import { stackFileConfig } from "./support/stacks";
import {
  airflowBuildArgs,
  producerBuildArgs,
  sparkImage,
  streamingJobBuildArgs,
} from "../../components/versions";
import { DockerTarget } from "../../infra/docker";
import { caBundleSecretId, imageBuildArgs } from "../../infra/docker/image";
import { KubernetesTarget } from "../../infra/kubernetes";
import { deployStack } from "../../infra/stack";

test.beforeEach(() => resetRegistered());

/** The stack file's `spark` block, to change one key of it. */
function stackSpark(stack: "dev" | "staging"): Record<string, unknown> {
  return (stackFileConfig(stack)["spark"] ?? {}) as Record<string, unknown>;
}

const build = { name: "producer", context: "producer", tag: "0.1.0", buildArgs: { NODE_ENV: "production" } };
const imageType = "docker-build:index:Image";
const pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0FUZXN0\n-----END CERTIFICATE-----\n";

test.serial(
  "Docker builds a local image from the Dockerfile, loads it into the engine and does not push it",
  async (t) => {
    const target = new DockerTarget("docker");
    const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
    const reference = target.buildImage(build, parent);
    const image = findResource(await settle(), imageType, "producer-image");
    t.deepEqual(image.inputs.tags, ["producer:0.1.0"]);
    t.false(image.inputs.push);
    t.true(image.inputs.load);
    t.deepEqual(image.inputs.context, { location: "producer" });
    t.deepEqual(image.inputs.dockerfile, { location: "producer/Dockerfile" });
    t.deepEqual(image.inputs.platforms, ["linux/amd64"]);
    t.deepEqual(image.inputs.buildArgs, { NODE_ENV: "production" });
    t.is(image.inputs.secrets, undefined, "no CA bundle configured: no build secret");
    t.is(await valueOf(reference), "producer:0.1.0");
  },
);

test.serial(
  "Docker hands a configured CA bundle to every build as the secret ca-bundle, never as a build arg",
  async (t) => {
    const target = new DockerTarget("docker", { buildCaBundle: pem });
    const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
    target.buildImage(build, parent);
    target.buildImage(
      { name: "airflow", context: ".", dockerfile: "airflow/Dockerfile", tag: "3.3.2" },
      parent,
    );
    const resources = await settle();
    for (const name of ["producer-image", "airflow-image"]) {
      const image = findResource(resources, imageType, name);
      t.deepEqual(unwrapSecrets(image.inputs.secrets), { [caBundleSecretId]: pem });
      t.false(JSON.stringify(image.inputs.buildArgs).includes("BEGIN CERTIFICATE"));
    }
    t.is(
      caBundleSecretId,
      "ca-bundle",
      "the id our Dockerfiles mount (RUN --mount=type=secret,id=ca-bundle)",
    );
  },
);

test.serial(
  "Kubernetes pushes the built image to the stack's registry, with the CA bundle secret when set",
  async (t) => {
    const target = new KubernetesTarget("kubernetes", {
      namespace: "ns",
      imageRegistry: "registry.example.com/team",
      buildCaBundle: pem,
    });
    const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
    const reference = target.buildImage(build, parent);
    const image = findResource(await settle(), imageType, "producer-image");
    t.deepEqual(image.inputs.tags, ["registry.example.com/team/producer:0.1.0"]);
    t.true(image.inputs.push);
    t.false(image.inputs.load);
    t.deepEqual(unwrapSecrets(image.inputs.secrets), { [caBundleSecretId]: pem });
    t.is(await valueOf(reference), "registry.example.com/team/producer:0.1.0");
  },
);

test.serial("Kubernetes refuses to build without a registry, naming the key to set", (t) => {
  const target = new KubernetesTarget("kubernetes", { namespace: "ns" });
  const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
  t.throws(() => target.buildImage(build, parent), { message: /data-pipeline:kubernetes\.imageRegistry/ });
});

test("imageBuildArgs: the Dockerfile defaults to <context>/Dockerfile; no secret without a bundle", (t) => {
  const args = imageBuildArgs({ name: "x", context: "ctx", tag: "1" }, {});
  t.deepEqual(args.dockerfile, { location: "ctx/Dockerfile" });
  t.false("secrets" in args);
});

test.serial(
  "the dev stack with data-pipeline:buildCaBundle: the file's PEM reaches all three builds as the secret",
  async (t) => {
    const scratch = mkdtempSync(join(tmpdir(), "ca-"));
    t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
    const file = join(scratch, "bundle.pem");
    writeFileSync(file, pem);
    deployStack({ ...stackFileConfig("dev"), buildCaBundle: file });
    const images = (await settle()).filter((resource) => resource.type === imageType);
    t.is(images.length, 3);
    for (const image of images)
      t.deepEqual(unwrapSecrets(image.inputs.secrets), { [caBundleSecretId]: pem }, image.name);
  },
);

test.serial("a bad data-pipeline:buildCaBundle is refused before any resource is registered", async (t) => {
  t.throws(() => deployStack({ ...stackFileConfig("dev"), buildCaBundle: "/nonexistent/bundle.pem" }), {
    message:
      /data-pipeline:buildCaBundle = "\/nonexistent\/bundle\.pem" is not allowed: expected the path of a readable PEM file/,
  });
  await settle();
  t.is(registeredResources().length, 0);
});

test.serial(
  "data-pipeline:spark.version builds what it says: the job image's base, connector jars and tag",
  async (t) => {
    deployStack({ ...stackFileConfig("dev"), spark: { ...stackSpark("dev"), version: "3.5.6" } });
    const resources = await settle();
    const job = findResource(resources, imageType, "data-pipeline-spark-job-image");
    t.deepEqual(job.inputs.buildArgs, streamingJobBuildArgs("3.5.6"));
    t.is((job.inputs.buildArgs as Record<string, string>)["SPARK_IMAGE"], sparkImage("3.5.6"));
    t.regex((job.inputs.tags as string[])[0] ?? "", /^data-pipeline-spark-job:3\.5\.6-[0-9a-f]{12}$/);
    const producer = findResource(resources, imageType, "data-pipeline-producer-image");
    t.deepEqual(producer.inputs.buildArgs, producerBuildArgs());
    const airflow = findResource(resources, imageType, "data-pipeline-airflow-image");
    t.deepEqual(airflow.inputs.buildArgs, airflowBuildArgs());
  },
);
