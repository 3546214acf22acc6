/**
 * Framework for tests/harness service modules. A service module (tests/harness/services/<name>.ts):
 *
 * ```ts
 * export const zookeeperService = defineService<{ connect: string }>({
 *   name: "zookeeper",
 *   description: "Apache ZooKeeper",
 *   prepare: async () => void (await resolveMaven("kafka")),
 *   async start(context) {
 *     const { classpath } = await resolveMaven("kafka");           // tests/harness/maven/kafka/pom.xml
 *     const java = findJava("zookeeper", { minimum: 17 });
 *     const port = await freePort();
 *     // write config into context.stateDir, data into context.dataDir
 *     const process = await startJavaProcess({ service: "zookeeper", stateDir: context.stateDir,
 *       logDir: context.logDir, java, classpath, mainClass: "...", jvmArgs: ["-Xmx256m"], ports: [port],
 *       readiness: tcpReady(port) });
 *     return { endpoint: { connect: `127.0.0.1:${port}` }, processes: [process] };
 *   },
 * });
 * ```
 */
export { HarnessError, progress } from "./errors";
export { findJava } from "./java";
export type { JavaRequirement, JavaRuntime } from "./java";
export { listJars, resolveMaven } from "./maven";
export type { MavenArtifacts, MavenLayout, MavenResolveOptions } from "./maven";
export { cacheDir, harnessStateRoot, repoRoot, stateDir } from "./paths";
export { assertPortFree, freePort, freePorts, loopback } from "./ports";
export {
  isAlive,
  keepProcessesAfterExit,
  killGroup,
  runToCompletion,
  sleep,
  startJavaProcess,
  startProcess,
  stopFromPidFile,
} from "./process";
export type {
  CommandOptions,
  JavaProcessOptions,
  ManagedProcess,
  ProcessOptions,
  ReadinessCheck,
} from "./process";
export { httpReady, tcpReady } from "./readiness";
export {
  cleanupStaleRuns,
  cliRun,
  findPidFiles,
  openRun,
  readOwner,
  runDirectory,
  runLogDirectory,
  stopRun,
} from "./runs";
export type { RunOwner } from "./runs";
export { defineService } from "./service";
export type { EndpointOf, ServiceContext, ServiceModule, ServiceOptions, StartedService } from "./service";
