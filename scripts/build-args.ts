/**
 * Prints the `--build-arg NAME=value` flags one of our Dockerfiles needs (they write no version
 * themselves; every value comes from versions.json, as the components pass it), for a build by hand:
 *
 *   docker build -f spark/Dockerfile $(npx tsx scripts/build-args.ts spark) -t data-pipeline-spark-job .
 *   npx tsx scripts/build-args.ts spark 3.5.6      # the job image for another spark.version
 *   npx tsx scripts/build-args.ts producer | airflow
 */
import { airflowBuildArgs, producerBuildArgs, streamingJobBuildArgs } from "../components/versions";

const builds: Record<string, (version?: string) => Readonly<Record<string, string>>> = {
  producer: () => producerBuildArgs(),
  spark: (version) => streamingJobBuildArgs(version),
  airflow: () => airflowBuildArgs(),
};

const [image = "", version] = process.argv.slice(2);
const buildArgs = builds[image];
if (buildArgs === undefined) {
  process.stderr.write(`usage: build-args.ts ${Object.keys(builds).join("|")} [spark version]\n`);
  process.exit(2);
}
process.stdout.write(
  `${Object.entries(buildArgs(version))
    .map(([name, value]) => `--build-arg ${name}=${value}`)
    .join(" ")}\n`,
);
