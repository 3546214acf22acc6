import type { ManagedProcess } from "./process";

/** Options every service module sees (the union of what `startServices` accepts). */
export interface ServiceOptions {
  /** Run Kafka in KRaft mode (combined broker + controller) instead of with ZooKeeper. */
  readonly kraft: boolean;
  /**
   * Tuned for throughput (benchmarks): full JIT, bigger heaps and thread pools. The default profile
   * starts fastest and keeps the footprint small, which is what the test tiers want.
   */
  readonly tuned: boolean;
}

/** What a service module's `start` receives. */
export interface ServiceContext {
  /** Run id: `cli` for `npm run services -- up`, `test-<pid>-<n>` for a test process. */
  readonly run: string;
  /** `<repo>/.cache/harness/<run>/<service>`, fresh and empty: pid files and config files go here. */
  readonly stateDir: string;
  /** `<stateDir>/data`, created: the service's data directory, removed on stop. */
  readonly dataDir: string;
  /** `<repo>/.cache/harness/logs/<run>`: log files (kept after stop, for post-mortems). */
  readonly logDir: string;
  /** Options of this run. */
  readonly options: ServiceOptions;
  /** Endpoint of a service this one depends on (declared in `dependencies`), already ready. */
  dependency<Endpoint>(service: string): Endpoint;
}

/** A started service: its JSON-serializable endpoint and the processes to stop (in reverse order). */
export interface StartedService<Endpoint> {
  readonly endpoint: Endpoint;
  readonly processes: readonly ManagedProcess[];
}

/**
 * A service the harness can start. Write one per engine under tests/harness/services/ and register
 * it in the catalog in tests/harness/index.ts; startServices handles ordering, state directories,
 * cleanup of stale runs and stopping.
 *
 * `start` typically: `resolveMaven(name)` → `findJava(name, {...})` → `freePort()` → write config
 * into `context.stateDir` → `startJavaProcess({... logDir: context.logDir, readiness })`.
 */
export interface ServiceModule<Endpoint> {
  /** Name used on the CLI (`--services kafka,registry`) and as the handle's field. */
  readonly name: string;
  /** One-line description for `npm run services -- status`. */
  readonly description: string;
  /**
   * Services that must be ready first, for the given options.
   * @default none
   */
  dependencies?(options: ServiceOptions): readonly string[];
  /**
   * Downloads/caches artifacts without starting anything (idempotent). Called before `start`, and
   * by `npm run services -- fetch`.
   * @default nothing to prepare
   */
  prepare?(options: ServiceOptions): Promise<void>;
  /** Starts the processes and resolves once the service really answers. */
  start(context: ServiceContext): Promise<StartedService<Endpoint>>;
}

/** Identity helper that checks a module against {@link ServiceModule} and keeps its endpoint type. */
export function defineService<Endpoint>(module: ServiceModule<Endpoint>): ServiceModule<Endpoint> {
  return module;
}

/** The endpoint type of a service module. */
export type EndpointOf<Module> = Module extends ServiceModule<infer Endpoint> ? Endpoint : never;
