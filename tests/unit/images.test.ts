import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { findResource, resetRegistered, settle, valueOf } from "./support/mocks";
import { DockerTarget } from "../../infra/docker";
import { KubernetesTarget } from "../../infra/kubernetes";

test.beforeEach(() => resetRegistered());

const build = { name: "producer", context: "producer", tag: "0.1.0", buildArgs: { NODE_ENV: "production" } };

test.serial("Docker builds a local image from the Dockerfile and does not push it", async (t) => {
  const target = new DockerTarget("docker");
  const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
  const reference = target.buildImage(build, parent);
  const image = findResource(await settle(), "image:Image", "producer-image");
  t.is(image.inputs.imageName, "producer:0.1.0");
  t.true(image.inputs.skipPush);
  t.is(image.inputs.build.dockerfile, "producer/Dockerfile");
  t.is(image.inputs.build.platform, "linux/amd64");
  t.deepEqual(image.inputs.build.args, { NODE_ENV: "production" });
  t.is(await valueOf(reference), "producer:0.1.0");
});

test.serial("Kubernetes pushes the built image to the stack's registry", async (t) => {
  const target = new KubernetesTarget("kubernetes", {
    namespace: "ns",
    imageRegistry: "registry.example.com/team",
  });
  const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
  const reference = target.buildImage(build, parent);
  const image = findResource(await settle(), "image:Image", "producer-image");
  t.is(image.inputs.imageName, "registry.example.com/team/producer:0.1.0");
  t.false(image.inputs.skipPush);
  t.is(await valueOf(reference), "registry.example.com/team/producer:0.1.0");
});

test.serial("Kubernetes refuses to build without a registry, naming the key to set", (t) => {
  const target = new KubernetesTarget("kubernetes", { namespace: "ns" });
  const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
  t.throws(() => target.buildImage(build, parent), { message: /data-pipeline:kubernetes\.imageRegistry/ });
});
