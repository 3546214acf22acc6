/**
 * Image builds from a local Dockerfile, shared by both targets: the Docker target keeps the image
 * local; the Kubernetes target pushes it to the registry named in stack config so the cluster can pull.
 */
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { ImageBuildSpec } from "../../components/spec";

/** The full image reference for a build: `<registry>/<name>:<tag>` or `<name>:<tag>`. */
export function imageReference(spec: ImageBuildSpec, registry: string | undefined): string {
  const repository = registry ? `${registry.replace(/\/+$/, "")}/${spec.name}` : spec.name;
  return `${repository}:${spec.tag}`;
}

/** Builds the image (linux/amd64); pushes it when a registry is given. Returns the reference to run. */
export function buildImage(
  spec: ImageBuildSpec,
  registry: string | undefined,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  const image = new docker.Image(
    `${spec.name}-image`,
    {
      imageName: imageReference(spec, registry),
      build: {
        context: spec.context,
        dockerfile: spec.dockerfile ?? path.join(spec.context, "Dockerfile"),
        platform: "linux/amd64",
        args: { ...(spec.buildArgs ?? {}) },
      },
      skipPush: registry === undefined,
    },
    { parent },
  );
  return image.imageName;
}
