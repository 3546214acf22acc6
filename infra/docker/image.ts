/**
 * Image builds from a local Dockerfile, shared by both targets: the Docker target keeps the image
 * in the local engine; the Kubernetes target pushes it to the registry named in stack config so the
 * cluster can pull. Built with @pulumi/docker-build (BuildKit through buildx), which can hand a
 * build secrets; @pulumi/docker's `docker.Image` cannot.
 */
import * as dockerBuild from "@pulumi/docker-build";
import type * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { ImageBuildSpec } from "../../components/spec";

/**
 * Id of the optional build secret that holds a PEM CA bundle. Our Dockerfiles mount it
 * (`RUN --mount=type=secret,id=ca-bundle`) only in the steps that install packages, so npm, pip and
 * Maven trust a TLS-intercepting proxy's CA; it is never written into a layer.
 */
export const caBundleSecretId = "ca-bundle";

/** What a target passes for every image it builds. */
export interface ImageBuildOptions {
  /** Registry prefix; the image is pushed there when set, kept in the local engine when not. */
  readonly registry?: string;
  /** PEM CA bundle handed to the build as the secret {@link caBundleSecretId}. */
  readonly caBundle?: pulumi.Input<string>;
}

/** The full image reference for a build: `<registry>/<name>:<tag>` or `<name>:<tag>`. */
export function imageReference(spec: ImageBuildSpec, registry: string | undefined): string {
  const repository = registry ? `${registry.replace(/\/+$/, "")}/${spec.name}` : spec.name;
  return `${repository}:${spec.tag}`;
}

/** The build resource's arguments (linux/amd64; pushed or loaded; the CA bundle as a secret). */
export function imageBuildArgs(spec: ImageBuildSpec, options: ImageBuildOptions): dockerBuild.ImageArgs {
  const pushed = options.registry !== undefined;
  return {
    tags: [imageReference(spec, options.registry)],
    context: { location: spec.context },
    dockerfile: { location: spec.dockerfile ?? path.join(spec.context, "Dockerfile") },
    platforms: [dockerBuild.Platform.Linux_amd64],
    buildArgs: { ...(spec.buildArgs ?? {}) },
    push: pushed,
    // As @pulumi/docker's Image did: `pulumi preview` does not build (docker-build defaults to true).
    buildOnPreview: false,
    // Without a registry the image must land in the local engine, where the containers run it.
    load: !pushed,
    ...(options.caBundle !== undefined ? { secrets: { [caBundleSecretId]: options.caBundle } } : {}),
  };
}

/** Builds the image; returns the reference to run (resolved once the build is done). */
export function buildImage(
  spec: ImageBuildSpec,
  options: ImageBuildOptions,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  const image = new dockerBuild.Image(`${spec.name}-image`, imageBuildArgs(spec, options), { parent });
  const reference = imageReference(spec, options.registry);
  return image.urn.apply(() => reference);
}
