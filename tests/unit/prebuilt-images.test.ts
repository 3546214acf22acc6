/**
 * Prebuilt images (`data-pipeline:images.*`): on both targets, images named in stack config are run
 * as given and nothing is built; the Kubernetes target then needs no registry to push to.
 */
import test from "ava";
import { envMap, findResource, resetRegistered, settle, valueOf } from "./support/mocks";
import type { RegisteredResource } from "./support/mocks";
import { deployStack } from "../../infra/stack";
import { mainContainer, podEnv } from "./support/pods";
import { stackFileConfig } from "./support/stacks";

test.beforeEach(() => resetRegistered());

const images = {
  producer: "mirror.example.com:5000/data-pipeline/producer:0.1.0-abc",
  streamingJob: `mirror.example.com/data-pipeline/spark-job@sha256:${"a".repeat(64)}`,
  airflow: "ghcr.io/acme/data-pipeline-airflow:3.1.3-ci.42",
};

const built = (resources: readonly RegisteredResource[]) =>
  resources.filter((resource) => resource.type === "docker-build:index:Image");

test.serial(
  "staging with prebuilt images: nothing is built, no registry needed, workloads run them",
  async (t) => {
    const { kubernetes, ...staging } = stackFileConfig("staging") as { kubernetes: Record<string, unknown> };
    const { imageRegistry, ...withoutRegistry } = kubernetes;
    t.truthy(imageRegistry, "the committed staging stack names a registry (building stays the default)");
    const outputs = deployStack({ ...staging, kubernetes: withoutRegistry, images });
    const resources = await settle();
    t.deepEqual(
      resources.filter((resource) => resource.type.startsWith("docker:")).map((resource) => resource.name),
      [],
    );
    const workloadImage = (type: string, name: string) =>
      mainContainer(findResource(resources, type, name)).image as string;
    t.is(workloadImage("StatefulSet", "spark-master"), images.streamingJob);
    t.is(workloadImage("Deployment", "spark-worker"), images.streamingJob);
    t.is(workloadImage("StatefulSet", "users-stream"), images.streamingJob);
    for (const process of [
      "airflow-scheduler",
      "airflow-api-server",
      "airflow-dag-processor",
      "airflow-triggerer",
    ]) {
      t.is(workloadImage("Deployment", process), images.airflow, process);
    }
    t.is(workloadImage("Job", "airflow-migrate"), images.airflow);
    t.is(
      podEnv(findResource(resources, "Deployment", "airflow-scheduler"))["AIRFLOW_VAR_PRODUCER_IMAGE"],
      images.producer,
    );
    t.is(await valueOf(outputs.producerImage), images.producer);
    t.is(await valueOf(outputs.streamingJobImage), images.streamingJob);
  },
);

test.serial(
  "staging without prebuilt images still builds all three and pushes them to the registry",
  async (t) => {
    deployStack(stackFileConfig("staging"));
    const resources = await settle();
    t.deepEqual(
      built(resources)
        .map((image) => String(image.inputs.tags[0]).replace(/:[^:/]*$/, ""))
        .sort(),
      [
        "registry.example.com/data-pipeline/data-pipeline-airflow",
        "registry.example.com/data-pipeline/data-pipeline-producer",
        "registry.example.com/data-pipeline/data-pipeline-spark-job",
      ],
    );
  },
);

test.serial("dev with prebuilt images: nothing is built, Docker pulls each reference once", async (t) => {
  const outputs = deployStack({ ...stackFileConfig("dev"), images });
  const resources = await settle();
  t.deepEqual(built(resources), []);
  const pulled = resources.filter((resource) => resource.type === "docker:index/remoteImage:RemoteImage");
  for (const reference of [images.streamingJob, images.airflow]) {
    t.is(pulled.filter((image) => image.inputs.name === reference).length, 1, reference);
  }
  const container = "docker:index/container:Container";
  const scheduler = findResource(resources, container, "airflow-scheduler");
  t.is(envMap(scheduler.inputs.envs)["AIRFLOW_VAR_PRODUCER_IMAGE"], images.producer);
  t.is(await valueOf(outputs.producerImage), images.producer);
});

test.serial("dev with one prebuilt image builds the other two", async (t) => {
  deployStack({ ...stackFileConfig("dev"), images: { airflow: images.airflow } });
  const resources = await settle();
  t.deepEqual(
    built(resources)
      .map((image) => image.name)
      .sort(),
    ["data-pipeline-producer-image", "data-pipeline-spark-job-image"],
  );
});
