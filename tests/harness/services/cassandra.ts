import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, auth } from "cassandra-driver";
import type { ClientOptions } from "cassandra-driver";
import {
  HarnessError,
  defineService,
  findJava,
  freePorts,
  loopback,
  progress,
  resolveMaven,
  sleep,
  startJavaProcess,
} from "../lib";
import { cassandraMemtableYaml } from "../../../components/cassandra-config";

/** How a client reaches the harness' Cassandra (JSON-serializable). */
export interface CassandraEndpoint {
  /** Contact points (host names only; the port is {@link CassandraEndpoint.port}). */
  readonly contactPoints: readonly string[];
  /** CQL native transport port. */
  readonly port: number;
  /** Data center of the single node (SimpleSnitch): `datacenter1`. */
  readonly localDataCenter: string;
  /** A superuser created by the harness with a generated password. */
  readonly username: string;
  readonly password: string;
}

/** The role the harness creates; the built-in `cassandra` superuser is only used to create it. */
export const harnessRole = "harness";

const defaultSuperuser = { username: "cassandra", password: "cassandra" };
const localDataCenter = "datacenter1";

/**
 * JVM flags: Cassandra's conf/jvm17-server.options (JPMS exports/opens, G1, Netty) with a small
 * heap, plus system properties for a fast single-node start (no gossip settling, short ring delay,
 * default superuser created at once). By default C1 only (`TieredStopAtLevel=1`): on two busy
 * cores it halves the start time, and test workloads never need C2's peak speed. `tuned` (the
 * benchmarks) keeps the full JIT and a 4 GiB heap. No JMX port is opened.
 */
export function cassandraJvmArguments(
  configPath: string,
  logbackPath: string,
  storageDirectory: string,
  tuned = false,
): string[] {
  const exportsList = [
    "java.base/jdk.internal.misc",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
  ];
  const opensList = [
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "jdk.compiler/com.sun.tools.javac",
    "java.base/java.lang",
    "java.base/java.util",
  ];
  return [
    ...(tuned ? ["-Xms4g", "-Xmx4g", "-Xmn1g"] : ["-Xms256m", "-Xmx1g"]),
    "-Xss256k",
    "-XX:+UseG1GC",
    "-XX:+ParallelRefProcEnabled",
    "-XX:MaxTenuringThreshold=1",
    "-XX:MaxGCPauseMillis=300",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:+PerfDisableSharedMem",
    ...(tuned ? [] : ["-XX:TieredStopAtLevel=1"]),
    "-Djdk.attach.allowAttachSelf=true",
    ...exportsList.map((entry) => `--add-exports=${entry}=ALL-UNNAMED`),
    ...opensList.map((entry) => `--add-opens=${entry}=ALL-UNNAMED`),
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
    "-Djava.net.preferIPv4Stack=true",
    `-Dcassandra.config=file://${configPath}`,
    `-Dcassandra.storagedir=${storageDirectory}`,
    `-Dlogback.configurationFile=file://${logbackPath}`,
    "-Dcassandra-foreground=yes",
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    "-Dcassandra.ring_delay_ms=100",
    "-Dcassandra.superuser_setup_delay_ms=0",
  ];
}

/** Settings of {@link cassandraYaml}. */
export interface CassandraYamlSettings {
  readonly nativePort: number;
  readonly storagePort: number;
  /** Root of data, commitlog, saved_caches, hints and cdc_raw. */
  readonly dataDirectory: string;
  /** Throughput profile (benchmarks): bigger memtables, more write threads, longer auth caches. */
  readonly tuned?: boolean;
}

/**
 * cassandra.yaml for one loopback node: PasswordAuthenticator + CassandraAuthorizer, one token,
 * small memtables and caches, few threads, no snapshots or hints (nothing to replicate to). The
 * tuned profile (benchmarks) gives writes the memtable space and threads a real node would have.
 */
export function cassandraYaml(settings: CassandraYamlSettings): string {
  const directory = (name: string): string => JSON.stringify(join(settings.dataDirectory, name));
  const sizing = settings.tuned
    ? [
        "commitlog_segment_size: 32MiB",
        "memtable_heap_space: 1024MiB",
        "memtable_offheap_space: 1024MiB",
        "memtable_flush_writers: 1",
        "key_cache_size: 64MiB",
        "file_cache_size: 256MiB",
        "networking_cache_size: 64MiB",
        "concurrent_reads: 16",
        "concurrent_writes: 32",
        "concurrent_counter_writes: 16",
        "roles_validity: 60s",
        "permissions_validity: 60s",
        "credentials_validity: 60s",
        "write_request_timeout: 5000ms",
        "batch_size_warn_threshold: 64KiB",
        "batch_size_fail_threshold: 256KiB",
        // The benchmark's 50-row batches span 50 partitions, all on this one node. At the default
        // threshold (10) every batch drew a server warning that the driver logged with the batch's
        // values: 12,000 log lines per 600k rows, paid for on both sides.
        "unlogged_batch_across_partitions_warn_threshold: 64",
      ]
    : [
        "commitlog_segment_size: 8MiB",
        "memtable_heap_space: 64MiB",
        "memtable_offheap_space: 64MiB",
        "key_cache_size: 8MiB",
        "file_cache_size: 32MiB",
        "networking_cache_size: 16MiB",
        "concurrent_reads: 4",
        "concurrent_writes: 4",
        "concurrent_counter_writes: 4",
      ];
  return [
    "cluster_name: data-pipeline-harness",
    "num_tokens: 1",
    "initial_token: 0",
    "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
    "endpoint_snitch: SimpleSnitch",
    "dynamic_snitch: false",
    "authenticator: PasswordAuthenticator",
    "authorizer: CassandraAuthorizer",
    "role_manager: CassandraRoleManager",
    `listen_address: ${loopback}`,
    `rpc_address: ${loopback}`,
    `storage_port: ${settings.storagePort}`,
    `native_transport_port: ${settings.nativePort}`,
    "start_native_transport: true",
    "seed_provider:",
    "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
    "    parameters:",
    `      - seeds: "${loopback}:${settings.storagePort}"`,
    "data_file_directories:",
    `  - ${directory("data")}`,
    `commitlog_directory: ${directory("commitlog")}`,
    `saved_caches_directory: ${directory("saved_caches")}`,
    `hints_directory: ${directory("hints")}`,
    `cdc_raw_directory: ${directory("cdc_raw")}`,
    "commitlog_sync: periodic",
    "commitlog_sync_period: 10000ms",
    // The deployed memtables (trie), so every e2e test and benchmark runs what is deployed.
    ...cassandraMemtableYaml,
    ...sizing,
    "concurrent_compactors: 1",
    "hinted_handoff_enabled: false",
    "auto_snapshot: false",
    "",
  ].join("\n");
}

/** Logback configuration: everything at INFO to stdout, which the harness writes to the service log. */
export function cassandraLogback(): string {
  return [
    "<configuration>",
    '  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">',
    "    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0} - %msg%n</pattern></encoder>",
    "  </appender>",
    '  <root level="INFO"><appender-ref ref="STDOUT"/></root>',
    "</configuration>",
    "",
  ].join("\n");
}

/** cassandra-driver options for an endpoint, logged in as the harness superuser. */
export function cassandraClientOptions(endpoint: CassandraEndpoint, keyspace?: string): ClientOptions {
  return {
    contactPoints: [...endpoint.contactPoints],
    protocolOptions: { port: endpoint.port },
    localDataCenter: endpoint.localDataCenter,
    authProvider: new auth.PlainTextAuthProvider(endpoint.username, endpoint.password),
    ...(keyspace ? { keyspace } : {}),
  };
}

/** Creates a keyspace with SimpleStrategy, replication factor 1 (a per-test keyspace helper). */
export async function createKeyspace(endpoint: CassandraEndpoint, keyspace: string): Promise<void> {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) {
    throw new HarnessError("cassandra", `invalid keyspace name "${keyspace}" (lowercase letters, digits, _)`);
  }
  const client = new Client(cassandraClientOptions(endpoint));
  try {
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
  } finally {
    await client.shutdown();
  }
}

/** Readiness: a real CQL login as `username` that reads system.local. */
function cqlLogin(port: number, username: string, password: string): () => Promise<boolean> {
  return async () => {
    const client = new Client({
      contactPoints: [loopback],
      protocolOptions: { port },
      localDataCenter,
      authProvider: new auth.PlainTextAuthProvider(username, password),
      socketOptions: { connectTimeout: 3_000, readTimeout: 5_000 },
    });
    try {
      const result = await client.execute("SELECT release_version FROM system.local");
      return result.rowLength === 1;
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  };
}

/** Creates the harness superuser through the built-in one, retrying while system_auth settles. */
async function createHarnessRole(port: number, password: string, logPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastError = "";
  while (Date.now() < deadline) {
    const client = new Client({
      contactPoints: [loopback],
      protocolOptions: { port },
      localDataCenter,
      authProvider: new auth.PlainTextAuthProvider(defaultSuperuser.username, defaultSuperuser.password),
    });
    try {
      // CREATE ROLE takes no bind markers; the generated password is base64url (no quotes).
      await client.execute(
        `CREATE ROLE IF NOT EXISTS ${harnessRole} WITH PASSWORD = '${password}' AND SUPERUSER = true AND LOGIN = true`,
      );
      if (await cqlLogin(port, harnessRole, password)()) return;
      lastError = `login as ${harnessRole} refused`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      await client.shutdown().catch(() => undefined);
    }
    await sleep(1_000);
  }
  throw new HarnessError("cassandra", `could not create the ${harnessRole} role: ${lastError}`, logPath);
}

/**
 * Cassandra 5.0 (cassandra-all from Maven Central) as one CassandraDaemon on Java 17, loopback,
 * free ports, PasswordAuthenticator on. Ready once a CQL login as the default superuser works; it
 * then creates the `harness` superuser with a generated password and hands out those credentials.
 */
export const cassandraService = defineService<CassandraEndpoint>({
  name: "cassandra",
  description: "Apache Cassandra 5.0 (CassandraDaemon, PasswordAuthenticator)",
  prepare: async () => void (await resolveMaven("cassandra")),
  async start(context) {
    const { classpath } = await resolveMaven("cassandra");
    const java = findJava("cassandra", { minimum: 17, maximum: 17 });
    const [nativePort, storagePort] = await freePorts(2);
    if (nativePort === undefined || storagePort === undefined)
      throw new HarnessError("cassandra", "no free port");
    const configPath = join(context.stateDir, "cassandra.yaml");
    const logbackPath = join(context.stateDir, "logback.xml");
    mkdirSync(context.dataDir, { recursive: true });
    writeFileSync(
      configPath,
      cassandraYaml({
        nativePort,
        storagePort,
        dataDirectory: context.dataDir,
        tuned: context.options.tuned,
      }),
    );
    writeFileSync(logbackPath, cassandraLogback());
    progress("cassandra", `starting on ${loopback}:${nativePort}`);
    const started = Date.now();
    const daemon = await startJavaProcess({
      service: "cassandra",
      stateDir: context.stateDir,
      logDir: context.logDir,
      java,
      classpath,
      mainClass: "org.apache.cassandra.service.CassandraDaemon",
      jvmArgs: cassandraJvmArguments(configPath, logbackPath, context.dataDir, context.options.tuned),
      ports: [nativePort, storagePort],
      readiness: cqlLogin(nativePort, defaultSuperuser.username, defaultSuperuser.password),
      readinessTimeoutMs: 240_000,
    });
    const password = randomBytes(18).toString("base64url");
    try {
      await createHarnessRole(nativePort, password, daemon.logPath);
    } catch (error) {
      await daemon.stop(5_000);
      throw error;
    }
    progress("cassandra", `ready in ${Math.round((Date.now() - started) / 1000)}s`);
    return {
      endpoint: {
        contactPoints: [loopback],
        port: nativePort,
        localDataCenter,
        username: harnessRole,
        password,
      },
      processes: [daemon],
    };
  },
});
