/**
 * Helpers of the image tests: the images build.ts built (read back from its record), and
 * `docker run` on the tier's engine.
 *
 * Networking: the harness services listen on 127.0.0.1 only and Kafka advertises 127.0.0.1, so the
 * containers here run with `--network host` (they share the host's loopback). That is the one
 * difference from the Docker target, which puts every container on a user-defined network and
 * reaches services by name; the images do not depend on either (addresses come from the
 * environment).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DevStack, ImageBuild } from "./dev-stack";
import { docker, dockerCli, dockerEnvironment, dockerStatus, imagesCache } from "./engine";

/** What build.ts built: the dev stack's image builds and container settings. */
export function builtStack(): DevStack {
  return JSON.parse(readFileSync(join(imagesCache, "built.json"), "utf8")) as DevStack;
}

/** The built image whose name starts with `data-pipeline-<name>:`. */
export function builtImage(name: "producer" | "spark-job" | "airflow"): ImageBuild {
  const image = builtStack().images.find((build) => build.imageName.startsWith(`data-pipeline-${name}:`));
  if (!image) throw new Error(`build.ts recorded no data-pipeline-${name} image; run npm run test:images`);
  return image;
}

/** `docker run --rm` to completion; returns exit status and output. */
export function runContainer(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  return dockerStatus(["run", "--rm", ...args]);
}

/** Removes containers and volumes by name, ignoring those that do not exist. */
export function removeQuietly(kind: "container" | "volume", names: readonly string[]): void {
  for (const name of names) dockerStatus([kind, "rm", "-f", name]);
}

export { docker, dockerStatus };

/**
 * `docker run --rm` to completion without blocking the event loop (a server in this process, such
 * as the socket proxy stand-in, must keep answering while the container runs).
 */
export function runContainerAsync(
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerCli, ["run", "--rm", ...args], { env: dockerEnvironment() });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (status) =>
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
    );
  });
}
