/**
 * What the Docker target does with the committed dev stack, read off the real program under
 * Pulumi mocks (tests/unit/support/mocks): every image build (context, Dockerfile, platform, build
 * args, secrets) and the environment of the containers the image tier runs. The tier builds and
 * runs with exactly these, so a change in a component or in the Docker target reaches it.
 */
import "../unit/support/mocks";
import { envMap, settle, unwrapSecrets } from "../unit/support/mocks";
import { stackFileConfig } from "../unit/support/stacks";
import { deployStack } from "../../infra/stack";

/** One image build (`docker-build:index:Image`) as the Docker target declares it. */
export interface ImageBuild {
  /** Pulumi resource name, e.g. `data-pipeline-producer-image`. */
  readonly resource: string;
  /** `name:tag` the target gives the image. */
  readonly imageName: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly platform: string;
  readonly args: Readonly<Record<string, string>>;
  /** Build secrets by id (the CA bundle's PEM under `ca-bundle` when buildCaBundle is set). */
  readonly secrets: Readonly<Record<string, string>>;
}

/** The dev stack's image builds and the environment of each container, by container name. */
export interface DevStack {
  readonly images: readonly ImageBuild[];
  readonly containers: Readonly<
    Record<string, { readonly image: string; readonly env: Record<string, string> }>
  >;
}

/**
 * Runs the dev stack's program under mocks and returns its builds and container settings. Extra
 * stack config (`{ buildCaBundle: "/etc/ssl/certs/ca-certificates.crt" }`) is merged over the
 * committed stack file.
 */
export async function devStack(extraConfig: Record<string, unknown> = {}): Promise<DevStack> {
  deployStack({ ...stackFileConfig("dev"), ...extraConfig });
  const resources = await settle();
  const images = resources
    .filter((resource) => resource.type === "docker-build:index:Image")
    .map((resource) => {
      const inputs = resource.inputs as {
        tags: string[];
        context: { location: string };
        dockerfile: { location: string };
        platforms: string[];
        buildArgs?: Record<string, string>;
        secrets?: unknown;
      };
      if (inputs.tags.length !== 1 || inputs.platforms.length !== 1) {
        throw new Error(`${resource.name}: expected one tag and one platform, got ${JSON.stringify(inputs)}`);
      }
      return {
        resource: resource.name,
        imageName: inputs.tags[0] as string,
        context: inputs.context.location,
        dockerfile: inputs.dockerfile.location,
        platform: inputs.platforms[0] as string,
        args: { ...(inputs.buildArgs ?? {}) },
        secrets: { ...((unwrapSecrets(inputs.secrets) ?? {}) as Record<string, string>) },
      };
    });
  const containers: Record<string, { image: string; env: Record<string, string> }> = {};
  for (const resource of resources.filter((r) => r.type === "docker:index/container:Container")) {
    containers[resource.name] = { image: String(resource.inputs.image), env: envMap(resource.inputs.envs) };
  }
  return { images, containers };
}

if (require.main === module) {
  devStack().then(
    (stack) => {
      process.stdout.write(`${JSON.stringify(stack, null, 2)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
