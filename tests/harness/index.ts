import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { PipelineAclInputs, PipelinePrincipal } from "../../components/kafka-security";
import { isServiceName, serviceCatalog } from "./catalog";
import type { ServiceEndpoints, ServiceName } from "./catalog";
import {
  HarnessError,
  findPidFiles,
  isAlive,
  keepProcessesAfterExit,
  openRun,
  runDirectory,
  runLogDirectory,
  stopRun,
} from "./lib";
import type { ManagedProcess, ServiceContext, ServiceModule, ServiceOptions, StartedService } from "./lib";
import type { KafkaSecurity } from "./services/kafka-auth";
import { grantPipelineAcls } from "./services/kafka-acls";
import { kafkaClientConfig, kafkaToolsOf } from "./services/kafka-auth";

export { isServiceName, serviceCatalog } from "./catalog";
export type { ServiceEndpoints, ServiceName } from "./catalog";
export { cassandraClientOptions, createKeyspace } from "./services/cassandra";
export type { CassandraEndpoint } from "./services/cassandra";
export type { KafkaEndpoint } from "./services/kafka";
export { credentialsOf, kafkaClientConfig, kafkajsSasl } from "./services/kafka-auth";
export { pipelineAclInputs } from "./services/kafka-acls";
export type { HarnessPrincipal, KafkaCredentials, KafkaSecurity } from "./services/kafka-auth";
export type { SchemaRegistryEndpoint } from "./services/schema-registry";
export type { SparkEndpoint } from "./services/spark";
export type { ZooKeeperEndpoint } from "./services/zookeeper";
export { HarnessError } from "./lib";

let runCounter = 0;

/** Options of {@link startServices}. */
export interface StartOptions<Selected extends ServiceName> {
  /** Services to start; their dependencies (ZooKeeper for Kafka without KRaft) come along. */
  readonly services: readonly Selected[];
  /**
   * Kafka in KRaft mode (no ZooKeeper).
   * @default false
   */
  readonly kraft?: boolean;
  /**
   * Throughput profile for benchmarks (see {@link ServiceOptions.tuned}).
   * @default false
   */
  readonly tuned?: boolean;
  /**
   * Run id naming the state directory `<repo>/.cache/harness/<run>`.
   * @default `test-<pid>-<n>`
   */
  readonly run?: string;
  /**
   * Leave the services running after this Node process exits (the CLI's `up`); otherwise they
   * are killed on exit, and a run killed half-way is cleaned up by the next one.
   * @default false
   */
  readonly detached?: boolean;
}

/** Controls of a started harness (fields next to the per-service endpoints). */
export interface HarnessControls {
  /** Run id. */
  readonly run: string;
  /** Endpoints of every started service, dependencies included. */
  readonly endpoints: Partial<ServiceEndpoints>;
  /** Every started process, in start order. */
  readonly processes: readonly ManagedProcess[];
  /** Stops every process (SIGTERM, then SIGKILL) and removes the run's data directories. */
  stop(): Promise<void>;
  /**
   * Creates a topic as the admin (replication factor 1, optional topic configs) and waits for its
   * leaders; needs `kafka`.
   */
  createTopic(name: string, partitions?: number, configs?: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Gives pipeline principals their ACLs for one pipeline's names (`pipelineAcls(inputs)` of
   * components/kafka-security.ts) with `kafka-acls` as the admin, as the product's KafkaUser job
   * does; about a second per rule, two at a time. Needs `kafka`.
   */
  grant(
    principals: PipelinePrincipal | readonly PipelinePrincipal[],
    inputs: PipelineAclInputs,
  ): Promise<void>;
  /** A name unique to this call, valid as a Kafka topic, Cassandra keyspace or registry subject. */
  uniqueName(prefix: string): string;
}

/** A started harness: `harness.kafka.bootstrap`, `harness.registry.url`, ... plus {@link HarnessControls}. */
export type Harness<Selected extends ServiceName> = {
  readonly [Name in Selected]: ServiceEndpoints[Name];
} & HarnessControls;

/** One recorded process of a run, with its memory use (from /proc) while it runs. */
export interface RunProcess {
  readonly pidFile: string;
  readonly pid: number;
  readonly alive: boolean;
  /** Resident set size now, in MiB. */
  readonly residentMiB?: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  readonly peakResidentMiB?: number;
}

/** What `<run>/endpoints.json` holds (read by `npm run services -- status`). */
export interface RunDescription {
  readonly run: string;
  readonly kraft: boolean;
  readonly endpoints: Partial<ServiceEndpoints>;
  /** Recorded pids and whether each still runs. */
  readonly processes: readonly RunProcess[];
}

/**
 * Starts the services (downloading artifacts on first use), waits until each really answers, and
 * returns their endpoints. Always call `stop()` (e.g. in `test.after.always`).
 */
export async function startServices<Selected extends ServiceName>(
  options: StartOptions<Selected>,
): Promise<Harness<Selected>> {
  const serviceOptions: ServiceOptions = { kraft: options.kraft ?? false, tuned: options.tuned ?? false };
  const run = options.run ?? `test-${process.pid}-${++runCounter}`;
  const order = startOrder(options.services, serviceOptions);
  if (options.detached) keepProcessesAfterExit();
  await openRun(run, options.detached ?? false);
  const started = new Map<ServiceName, Promise<StartedService<unknown>>>();
  const endpoints: Record<string, unknown> = {};
  const processes: ManagedProcess[] = [];
  try {
    for (const name of order) await moduleOf(name).prepare?.(serviceOptions);
    for (const name of order) {
      const module = moduleOf(name);
      const dependencies = module.dependencies?.(serviceOptions) ?? [];
      started.set(
        name,
        Promise.all(dependencies.map((dependency) => started.get(dependency as ServiceName))).then(
          async () => {
            const service = await module.start(contextFor(run, name, serviceOptions, endpoints));
            endpoints[name] = service.endpoint;
            processes.push(...service.processes);
            return service;
          },
        ),
      );
    }
    const outcomes = await Promise.allSettled(started.values());
    const failure = outcomes.find((outcome) => outcome.status === "rejected");
    if (failure) throw failure.reason;
  } catch (error) {
    await stopRun(run, 5_000);
    throw error instanceof HarnessError ? error : new HarnessError("harness", String(error));
  }
  const description = { run, kraft: serviceOptions.kraft, endpoints };
  writeFileSync(join(runDirectory(run), "endpoints.json"), JSON.stringify(description, null, 2));
  const controls: HarnessControls = {
    run,
    endpoints: endpoints as Partial<ServiceEndpoints>,
    processes,
    stop: async () => {
      for (const managed of [...processes].reverse()) await managed.stop();
      await stopRun(run);
    },
    createTopic: (name, partitions = 1, configs = {}) =>
      createTopic(kafkaOf(endpoints, "createTopic"), name, partitions, configs),
    grant: async (principals, inputs) => {
      const kafka = kafkaOf(endpoints, "grant");
      const selected = typeof principals === "string" ? [principals] : principals;
      await grantPipelineAcls(await kafkaToolsOf(run), kafka, selected, inputs);
    },
    uniqueName,
  };
  return { ...(endpoints as ServiceEndpoints), ...controls } as Harness<Selected>;
}

function kafkaOf(endpoints: Readonly<Record<string, unknown>>, operation: string): KafkaSecurity {
  const kafka = endpoints.kafka as ServiceEndpoints["kafka"] | undefined;
  if (!kafka) throw new HarnessError("kafka", `${operation} needs the kafka service in startServices`);
  return kafka;
}

/**
 * Creates a topic with replication factor 1 as the admin and waits for its partition leaders;
 * `configs` are topic configs (e.g. `max.message.bytes`).
 */
export async function createTopic(
  kafka: KafkaSecurity,
  name: string,
  partitions = 1,
  configs: Readonly<Record<string, string>> = {},
): Promise<void> {
  const admin = new Kafka({
    clientId: "harness-admin",
    ...kafkaClientConfig(kafka, "admin"),
    logLevel: logLevel.ERROR,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(configs).map(([configName, value]) => ({ name: configName, value })),
        },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** `<prefix>_<time><random>`: lowercase letters, digits and `_` only. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(3).toString("hex")}`.toLowerCase();
}

/** Reads a run's endpoints.json and the state of its pid files, if the run exists. */
export function describeRun(run: string): RunDescription | undefined {
  const path = join(runDirectory(run), "endpoints.json");
  if (!existsSync(path)) return undefined;
  const stored = JSON.parse(readFileSync(path, "utf8")) as Omit<RunDescription, "processes">;
  const processes = findPidFiles(runDirectory(run)).map((pidFile) => {
    const pid = (JSON.parse(readFileSync(pidFile, "utf8")) as { pid: number }).pid;
    return { pidFile, pid, alive: isAlive(pid), ...memoryOf(pid) };
  });
  return { ...stored, processes };
}

function memoryOf(pid: number): { residentMiB?: number; peakResidentMiB?: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kibibytes = (field: string): number | undefined => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
      return match?.[1] ? Math.round(Number(match[1]) / 1024) : undefined;
    };
    return { residentMiB: kibibytes("VmRSS"), peakResidentMiB: kibibytes("VmHWM") };
  } catch {
    return {};
  }
}

/** Services in start order: each after its dependencies, dependencies added. */
export function startOrder(services: readonly ServiceName[], options: ServiceOptions): ServiceName[] {
  const order: ServiceName[] = [];
  const visit = (name: string, path: readonly string[]): void => {
    if (!isServiceName(name)) {
      throw new HarnessError(
        "harness",
        `unknown service "${name}" (known: ${Object.keys(serviceCatalog).join(", ")})`,
      );
    }
    if (path.includes(name)) throw new HarnessError(name, `dependency cycle ${[...path, name].join(" -> ")}`);
    if (order.includes(name)) return;
    for (const dependency of moduleOf(name).dependencies?.(options) ?? []) visit(dependency, [...path, name]);
    order.push(name);
  };
  for (const name of services) visit(name, []);
  return order;
}

function moduleOf(name: ServiceName): ServiceModule<unknown> {
  return serviceCatalog[name] as ServiceModule<unknown>;
}

function contextFor(
  run: string,
  service: ServiceName,
  options: ServiceOptions,
  endpoints: Readonly<Record<string, unknown>>,
): ServiceContext {
  const stateDirectory = join(runDirectory(run), service);
  rmSync(stateDirectory, { recursive: true, force: true });
  const dataDir = join(stateDirectory, "data");
  mkdirSync(dataDir, { recursive: true });
  return {
    run,
    stateDir: stateDirectory,
    dataDir,
    logDir: runLogDirectory(run),
    options,
    dependency: <Endpoint>(name: string): Endpoint => {
      if (!(name in endpoints)) throw new HarnessError(service, `dependency ${name} is not started`);
      return endpoints[name] as Endpoint;
    },
  };
}
