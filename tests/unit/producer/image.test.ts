import test from "ava";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { producerBuildArgs } from "../../../components/versions";

const root = join(__dirname, "..", "..", "..");
const dockerfile = readFileSync(join(root, "producer", "Dockerfile"), "utf8");
const producerPackage = JSON.parse(readFileSync(join(root, "producer", "package.json"), "utf8")) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

test("the image builds on an exact Node base tag and runs as the unprivileged node user", (t) => {
  t.regex(dockerfile, /^ARG NODE_IMAGE$/m, "the base is a build arg, from versions.json");
  t.regex(producerBuildArgs()["NODE_IMAGE"] ?? "", /^node:\d+\.\d+\.\d+-[a-z]+-slim$/);
  t.is([...dockerfile.matchAll(/^FROM \$\{NODE_IMAGE\}/gm)].length, 3, "every stage on the pinned base");
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  t.regex(finalStage, /^USER node$/m);
  t.notRegex(finalStage, /^USER root$/m);
  t.regex(
    dockerfile,
    /npm ci --workspace @data-pipeline\/producer --include-workspace-root=false --omit=dev/,
  );
});

test("the entrypoint is the compiled CLI that package.json's bin names", (t) => {
  const entrypoint = /^ENTRYPOINT \["node", "\/app\/producer\/(\S+)"\]$/m.exec(dockerfile)?.[1];
  t.is(entrypoint, producerPackage.bin.producer);
  t.is(entrypoint, "dist/producer/src/cli.js");
});

test("every runtime dependency is pinned to an exact version", (t) => {
  for (const [name, version] of Object.entries(producerPackage.dependencies)) {
    t.regex(version, /^\d+\.\d+\.\d+$/, name);
  }
});

test("the image's build stage compiles (producer/tsconfig.json, worker included)", async (t) => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  await t.notThrowsAsync(
    promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", join(root, "producer", "tsconfig.json")]),
  );
});
