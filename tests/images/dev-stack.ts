/**
 * What the Docker target does with the committed dev stack, read off the real program under
 * Pulumi mocks (tests/unit/support/mocks): every image build (context, Dockerfile, platform, build
 * args, secrets) and the environment of the containers the image tier runs. The tier builds and
 * runs with exactly these, so a change in a component or in the Docker target reaches it.
 */
import "../unit/support/mocks";
import { envMap, settle } from "../unit/support/mocks";
import { stackFileConfig } from "../unit/support/stacks";
import { deployStack } from "../../infra/stack";

/** One `docker.Image` build as the Docker target declares it. */
export interface ImageBuild {
  /** Pulumi resource name, e.g. `data-pipeline-producer-image`. */
  readonly resource: string;
  /** `name:tag` the target gives the image. */
  readonly imageName: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly platform: string;
  readonly args: Readonly<Record<string, string>>;
}

/** The dev stack's image builds and the environment of each container, by container name. */
export interface DevStack {
  readonly images: readonly ImageBuild[];
  readonly containers: Readonly<
    Record<string, { readonly image: string; readonly env: Record<string, string> }>
  >;
}

/** Runs the dev stack's program under mocks and returns its builds and container settings. */
export async function devStack(): Promise<DevStack> {
  deployStack(stackFileConfig("dev"));
  const resources = await settle();
  const images = resources
    .filter((resource) => resource.type === "docker:index/image:Image")
    .map((resource) => ({
      resource: resource.name,
      imageName: String(resource.inputs.imageName),
      context: String(resource.inputs.build.context),
      dockerfile: String(resource.inputs.build.dockerfile),
      platform: String(resource.inputs.build.platform),
      args: { ...(resource.inputs.build.args ?? {}) } as Record<string, string>,
    }));
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
