/**
 * Cassandra configuration files and scripts, as pure functions (unit-tested without mocks).
 *
 * The official image only maps a few env vars into cassandra.yaml and none for authentication, so
 * the component mounts a complete cassandra.yaml as a template; the start-up command copies it into
 * place and hands over to the image's entrypoint, which still fills in seeds, addresses and names.
 */

/** Settings of the generated cassandra.yaml. */
export interface CassandraYamlSettings {
  readonly clusterName: string;
  /** @default 16 */
  readonly numTokens?: number;
}

/** Gossip and streaming between nodes (`storage_port`, unencrypted). */
export const cassandraIntraNodePort = 7000;

/** Where the template is mounted; the start-up command copies it to the image's config folder. */
export const cassandraYamlTemplatePath = "/etc/cassandra-template/cassandra.yaml";

/**
 * Memtables as Cassandra 5.0's `cassandra_latest.yaml` sets them: the trie memtable
 * (CASSANDRA-17240) for every table, the skip-list one kept by name for a table that asks for it.
 * The trie stores a partition in fewer, denser objects than the skip list: in `npm run bench:e2e`'s
 * throughput phase it cut Cassandra's CPU per streamed row from 0.104 to 0.095 ms (four passes
 * each, alternated, on the harness' Cassandra 5.0.9). The harness runs the same lines, so every e2e
 * test exercises what is deployed.
 */
export const cassandraMemtableYaml: readonly string[] = [
  "memtable:",
  "  configurations:",
  "    skiplist:",
  "      class_name: SkipListMemtable",
  "    trie:",
  "      class_name: TrieMemtable",
  "    default:",
  "      inherits: trie",
];

/**
 * A complete cassandra.yaml: PasswordAuthenticator, CassandraAuthorizer, GossipingPropertyFileSnitch,
 * data under /var/lib/cassandra. Keys the image entrypoint rewrites (seeds, listen/broadcast/rpc
 * addresses, cluster_name, endpoint_snitch, num_tokens) are present in the form it expects.
 */
export function cassandraYaml(settings: CassandraYamlSettings): string {
  return [
    `cluster_name: '${settings.clusterName}'`,
    `num_tokens: ${settings.numTokens ?? 16}`,
    "allocate_tokens_for_local_replication_factor: 3",
    "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
    "endpoint_snitch: GossipingPropertyFileSnitch",
    "authenticator: PasswordAuthenticator",
    "authorizer: CassandraAuthorizer",
    "role_manager: CassandraRoleManager",
    "roles_validity: 2000ms",
    "permissions_validity: 2000ms",
    "seed_provider:",
    "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
    "    parameters:",
    // The image entrypoint replaces these placeholders (CASSANDRA_SEEDS, its own address); left
    // unreplaced they make Cassandra fail at start instead of silently binding to loopback.
    '      - seeds: "set-by-entrypoint"',
    "listen_address: set-by-entrypoint",
    "rpc_address: 0.0.0.0",
    "broadcast_rpc_address: set-by-entrypoint",
    `storage_port: ${cassandraIntraNodePort}`,
    "native_transport_port: 9042",
    "start_native_transport: true",
    "data_file_directories:",
    "  - /var/lib/cassandra/data",
    "commitlog_directory: /var/lib/cassandra/commitlog",
    "saved_caches_directory: /var/lib/cassandra/saved_caches",
    "hints_directory: /var/lib/cassandra/hints",
    "cdc_raw_directory: /var/lib/cassandra/cdc_raw",
    "commitlog_sync: periodic",
    "commitlog_sync_period: 10000ms",
    ...cassandraMemtableYaml,
    "disk_failure_policy: stop",
    "commit_failure_policy: stop",
    "hinted_handoff_enabled: true",
    "max_hint_window: 3h",
    "auto_snapshot: true",
    "",
  ].join("\n");
}

/** The start-up command: install the template, then run the image's own entrypoint in the foreground. */
export const cassandraStartCommand = [
  "bash",
  "-c",
  `cp ${cassandraYamlTemplatePath} /etc/cassandra/cassandra.yaml && exec docker-entrypoint.sh cassandra -f`,
];

/**
 * The schema job's script (bash + cqlsh from the Cassandra image). Idempotent:
 * 1. wait until the cluster accepts a login (the generated admin, or the default superuser on first run);
 * 2. on first run create the admin superuser with the generated password and disable the default one;
 * 3. replicate system_auth, create the keyspace, the table (from the record contract) and the
 *    application role, and grant it what the streaming job needs.
 * Parameters come from the environment (see `cassandraSchemaEnvironment`); the CQL from a mounted file.
 */
export const cassandraSchemaScript = [
  "set -euo pipefail",
  'cql() { cqlsh "$CASSANDRA_HOST" "$CASSANDRA_PORT" --request-timeout=60 "$@"; }',
  "for attempt in $(seq 1 60); do",
  '  if cql -u "$ADMIN_USERNAME" -p "$ADMIN_PASSWORD" -e "SELECT release_version FROM system.local" >/dev/null 2>&1; then break; fi',
  '  if cql -u cassandra -p cassandra -e "SELECT release_version FROM system.local" >/dev/null 2>&1; then',
  "    echo 'first run: creating the admin superuser and disabling the default one'",
  '    cql -u cassandra -p cassandra -e "CREATE ROLE IF NOT EXISTS \\"$ADMIN_USERNAME\\" WITH PASSWORD = \'$ADMIN_PASSWORD\' AND SUPERUSER = true AND LOGIN = true"',
  "    sleep 3",
  '    cql -u "$ADMIN_USERNAME" -p "$ADMIN_PASSWORD" -e "ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false"',
  "    break",
  "  fi",
  '  echo "waiting for Cassandra at $CASSANDRA_HOST:$CASSANDRA_PORT ($attempt/60)"; sleep 5',
  "done",
  'cql -u "$ADMIN_USERNAME" -p "$ADMIN_PASSWORD" -f "$SCHEMA_FILE"',
  'cql -u "$ADMIN_USERNAME" -p "$ADMIN_PASSWORD" -e "CREATE ROLE IF NOT EXISTS \\"$APP_USERNAME\\" WITH PASSWORD = \'$APP_PASSWORD\' AND LOGIN = true; ALTER ROLE \\"$APP_USERNAME\\" WITH PASSWORD = \'$APP_PASSWORD\'; GRANT SELECT ON KEYSPACE $KEYSPACE TO \\"$APP_USERNAME\\"; GRANT MODIFY ON KEYSPACE $KEYSPACE TO \\"$APP_USERNAME\\""',
  'cql -u "$ADMIN_USERNAME" -p "$ADMIN_PASSWORD" -e "DESCRIBE TABLE $KEYSPACE.$TABLE"',
].join("\n");

/** Inputs of the schema CQL. */
export interface CassandraSchemaSettings {
  readonly keyspace: string;
  readonly datacenter: string;
  readonly replicationFactor: number;
  /** `CREATE TABLE IF NOT EXISTS <keyspace>.<table> (...)` generated from the record contract. */
  readonly createTable: string;
}

/** The schema CQL: system_auth replication, the keyspace (NetworkTopologyStrategy) and the table. */
export function cassandraSchemaCql(settings: CassandraSchemaSettings): string {
  const replication = `{'class': 'NetworkTopologyStrategy', '${settings.datacenter}': ${settings.replicationFactor}}`;
  return [
    `ALTER KEYSPACE system_auth WITH replication = ${replication};`,
    `CREATE KEYSPACE IF NOT EXISTS ${settings.keyspace} WITH replication = ${replication};`,
    `ALTER KEYSPACE ${settings.keyspace} WITH replication = ${replication};`,
    settings.createTable,
    "",
  ].join("\n");
}
