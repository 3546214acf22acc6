/**
 * Stack config: typed, validated before any resource is registered, one clear message per bad key.
 *
 * Every key lives under the `data-pipeline:` namespace. Nested keys are set with `--path`, e.g.
 * `pulumi config set --path data-pipeline:kafka.brokers 3`.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { kafkaAuthentications } from "../components/kafka-security";
import { versions } from "../components/versions";
import { airflowVariables, defaultOf, descriptorOf, sparkJobVariables } from "../contracts/interfaces";

/** The config namespace (the Pulumi project name). */
export const configNamespace = "data-pipeline";

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const quantity = /^[1-9][0-9]*(Mi|Gi|Ti)$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ipv4Cidr = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const allowed =
    max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return z
    .number({ error: allowed })
    .int({ error: allowed })
    .min(min, { error: allowed })
    .max(max, { error: allowed });
}

function positive(what: string) {
  return z.number({ error: `a number > 0 (${what})` }).positive({ error: `a number > 0 (${what})` });
}

function pattern(regex: RegExp, allowed: string) {
  return z.string({ error: allowed }).regex(regex, { error: allowed });
}

/**
 * A version key: an exact release (`<major>.<minor>.<n>`) of the line of the manifest's version,
 * which is its default (versions.json).
 */
function exactVersion(product: string, pinned: string) {
  const line = pinned.split(".").slice(0, 2).join(".");
  const regex = new RegExp(`^${line.replace(/\./g, "\\.")}\\.\\d+$`);
  return pattern(regex, `an exact ${product} ${line} version such as ${pinned} (never latest)`).default(
    pinned,
  );
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/;

/** True when `path` is a readable file holding at least one PEM certificate. */
export function isPemBundleFile(path: string): boolean {
  try {
    return pemCertificate.test(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}

const caBundleAllowed =
  "the path of a readable PEM file with at least one CA certificate, such as /etc/ssl/certs/ca-certificates.crt";
const caBundlePath = z
  .string({ error: caBundleAllowed })
  .min(1, { error: caBundleAllowed })
  .refine(isPemBundleFile, { error: caBundleAllowed });

const port = integer(1024, 65535);

/**
 * An image reference built elsewhere (a CI pipeline, a registry mirror): `[registry[:port]/]path`
 * with an exact tag and/or a sha256 digest, never `latest` and never untagged (which means latest).
 */
const imageReferencePattern =
  /^(?:[A-Za-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$/;
const imageReference = pattern(
  imageReferencePattern,
  "an image reference with an exact tag or digest, such as ghcr.io/acme/data-pipeline-producer:0.1.0 or ghcr.io/acme/data-pipeline-producer@sha256:<64 hex digits> (never latest or untagged)",
);
const storageSize = pattern(quantity, "a size such as 512Mi, 20Gi or 1Ti");
const memoryMiB = (min: number) => integer(min, 262144);

const zookeeperSchema = z.strictObject({
  replicas: z.union([z.literal(1), z.literal(3), z.literal(5)], { error: "1, 3 or 5" }).default(1),
  storageSize: storageSize.default("5Gi"),
  memoryMiB: memoryMiB(256).default(512),
  cpu: positive("cores").default(0.5),
});

const kafkaSchema = z.strictObject({
  brokers: integer(1, 99).default(1),
  mode: z.enum(["zookeeper", "kraft"], { error: '"zookeeper" or "kraft"' }).default("zookeeper"),
  defaultReplicationFactor: integer(1).optional(),
  minInsyncReplicas: integer(1).optional(),
  storageSize: storageSize.default("20Gi"),
  memoryMiB: memoryMiB(512).default(1536),
  cpu: positive("cores").default(1),
  hostPort: port.default(9094),
  // Secure by default; "none" (plaintext, no ACLs) is for a quick local try.
  authentication: z
    .enum(kafkaAuthentications, {
      error: `${kafkaAuthentications.map((value) => `"${value}"`).join(" or ")} (SASL/SCRAM with ACLs, or plaintext without)`,
    })
    .default("scram-sha-512"),
});

const schemaRegistrySchema = z.strictObject({
  hostPort: port.default(8081),
  memoryMiB: memoryMiB(256).default(512),
  cpu: positive("cores").default(0.5),
});

const controlCenterSchema = z.strictObject({
  enabled: z.boolean({ error: "true or false" }).default(false),
  hostPort: port.default(9021),
  memoryMiB: memoryMiB(1024).default(2048),
  cpu: positive("cores").default(1),
});

const topicSchema = z.strictObject({
  name: pattern(/^[a-zA-Z0-9._-]{1,249}$/, "1-249 letters, digits, '.', '_' or '-'"),
  partitions: integer(1, 10000).default(3),
  replicationFactor: integer(1).optional(),
  retentionHours: z
    .number({ error: "a number of hours > 0, or -1 to keep forever" })
    .refine((hours) => hours === -1 || hours > 0, { error: "a number of hours > 0, or -1 to keep forever" })
    .default(168),
});

const cassandraSchema = z.strictObject({
  version: exactVersion("Cassandra", versions.cassandra),
  nodes: integer(1, 99).default(1),
  datacenter: pattern(/^[A-Za-z0-9_-]{1,48}$/, "letters, digits, '_' or '-'").default("datacenter1"),
  keyspace: pattern(
    /^[a-z][a-z0-9_]{0,47}$/,
    "a CQL identifier: lower-case letter, then letters, digits or '_'",
  ).default("pipeline"),
  table: pattern(
    /^[a-z][a-z0-9_]{0,47}$/,
    "a CQL identifier: lower-case letter, then letters, digits or '_'",
  ).default("users"),
  replicationFactor: integer(1).optional(),
  storageSize: storageSize.default("20Gi"),
  memoryMiB: memoryMiB(1024).default(2048),
  cpu: positive("cores").default(1),
  hostPort: port.default(9042),
});

const sparkSchema = z.strictObject({
  version: exactVersion("Spark", versions.spark),
  workers: integer(1, 50).default(1),
  workerCores: integer(1, 64).default(1),
  workerMemoryMiB: memoryMiB(512).default(2048),
  masterUiHostPort: port.default(8080),
});

const streamingJobSchema = z.strictObject({
  triggerInterval: pattern(
    /^[1-9][0-9]* (second|seconds|minute|minutes)$/,
    'a Spark trigger interval such as "5 seconds" or "1 minute"',
  ).default(defaultOf(sparkJobVariables, "TRIGGER_INTERVAL")),
  maxOffsetsPerTrigger: integer(100, 100_000_000).default(
    defaultOf(sparkJobVariables, "MAX_OFFSETS_PER_TRIGGER"),
  ),
  batchAttemptTimeoutSeconds: integer(10, 86_400).default(
    defaultOf(sparkJobVariables, "BATCH_ATTEMPT_TIMEOUT_SECONDS"),
  ),
  executorCores: integer(1, 64).optional(),
  executorMemoryMiB: memoryMiB(512).optional(),
  checkpointSize: storageSize.default("5Gi"),
});

const airflowSchema = z.strictObject({
  schedule: pattern(
    /^(@(once|hourly|daily|weekly|monthly|yearly|continuous)|(\S+\s+){4}\S+)$/,
    "a cron expression (5 fields) or a preset such as @hourly",
  ).default(defaultOf(airflowVariables, "USERS_PIPELINE_SCHEDULE")),
  producerCount: integer(1, 100_000_000).default(defaultOf(airflowVariables, "AIRFLOW_VAR_PRODUCER_COUNT")),
  verifyTimeoutSeconds: integer(30, 86_400).default(
    defaultOf(airflowVariables, "AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS"),
  ),
  hostPort: port.default(8088),
  databaseStorageSize: storageSize.default("5Gi"),
});

/** Images built elsewhere: each one set here is used as is and not built by `pulumi up`. */
const imagesSchema = z.strictObject({
  producer: imageReference.optional(),
  streamingJob: imageReference.optional(),
  airflow: imageReference.optional(),
});

/** The images `pulumi up` builds unless `images.<name>` names one built elsewhere. */
export const builtImageNames = ["producer", "streamingJob", "airflow"] as const;

const dockerSchema = z.strictObject({
  hostIp: pattern(ipv4, "an IPv4 address such as 127.0.0.1 (0.0.0.0 exposes ports to your network)").default(
    "127.0.0.1",
  ),
  prefix: pattern(dnsLabel, "a DNS label: lower-case letters, digits and '-'").optional(),
  imageRegistry: z.string({ error: "a registry prefix such as ghcr.io/acme" }).min(1).optional(),
});

const kubernetesSchema = z.strictObject({
  namespace: pattern(dnsLabel, "a DNS label: lower-case letters, digits and '-', at most 63").default(
    "data-pipeline",
  ),
  createNamespace: z.boolean({ error: "true or false" }).default(true),
  storageClass: pattern(dnsSubdomain, "a storage class name (DNS subdomain)").optional(),
  clusterDomain: pattern(dnsSubdomain, "a DNS domain such as cluster.local").default("cluster.local"),
  imageRegistry: z.string({ error: "a registry prefix such as ghcr.io/acme" }).min(1).optional(),
  // Secure by default; each can be turned off for a quick local try.
  podSecurity: z
    .enum(["restricted", "baseline"], { error: '"restricted" or "baseline" (Pod Security level enforced)' })
    .default("restricted"),
  networkPolicies: z.boolean({ error: "true or false" }).default(true),
  podDisruptionBudgets: z.boolean({ error: "true or false" }).default(true),
  apiServerCidr: pattern(ipv4Cidr, "an IPv4 CIDR such as 10.0.0.1/32 (0.0.0.0/0 for any)").default(
    "0.0.0.0/0",
  ),
});

/** The record formats the Spark job decodes (its `RECORD_FORMAT`). */
const recordFormats = descriptorOf(sparkJobVariables, "RECORD_FORMAT").values;

const stackSchema = z
  .strictObject({
    target: z.enum(["docker", "kubernetes"], { error: '"docker" or "kubernetes"' }),
    confluentVersion: exactVersion("Confluent Platform", versions.confluentPlatform),
    zookeeper: zookeeperSchema.default(zookeeperSchema.parse({})),
    kafka: kafkaSchema.default(kafkaSchema.parse({})),
    schemaRegistry: schemaRegistrySchema.default(schemaRegistrySchema.parse({})),
    controlCenter: controlCenterSchema.default(controlCenterSchema.parse({})),
    topics: z
      .array(topicSchema, { error: "a list of topics" })
      .min(1, { error: "at least one topic" })
      .default([topicSchema.parse({ name: defaultOf(sparkJobVariables, "KAFKA_TOPIC") })]),
    recordFormat: z
      .enum(recordFormats, { error: recordFormats.map((format) => `"${format}"`).join(" or ") })
      .default(defaultOf(sparkJobVariables, "RECORD_FORMAT")),
    /** PEM CA bundle for image builds (BuildKit secret `ca-bundle`), e.g. behind a TLS-intercepting proxy. */
    buildCaBundle: caBundlePath.optional(),
    cassandra: cassandraSchema.default(cassandraSchema.parse({})),
    spark: sparkSchema.default(sparkSchema.parse({})),
    streamingJob: streamingJobSchema.default(streamingJobSchema.parse({})),
    airflow: airflowSchema.default(airflowSchema.parse({})),
    images: imagesSchema.default({}),
    docker: dockerSchema.optional(),
    kubernetes: kubernetesSchema.optional(),
  })
  .superRefine((config, context) => {
    const brokers = config.kafka.brokers;
    const issue = (path: (string | number)[], message: string) =>
      context.addIssue({ code: "custom", path, message });
    const replication = config.kafka.defaultReplicationFactor ?? Math.min(3, brokers);
    if (
      config.kafka.defaultReplicationFactor !== undefined &&
      config.kafka.defaultReplicationFactor > brokers
    ) {
      issue(["kafka", "defaultReplicationFactor"], `at most kafka.brokers (${brokers})`);
    }
    if (config.kafka.minInsyncReplicas !== undefined && config.kafka.minInsyncReplicas > replication) {
      issue(["kafka", "minInsyncReplicas"], `at most the default replication factor (${replication})`);
    }
    config.topics.forEach((topic, index) => {
      if (topic.replicationFactor !== undefined && topic.replicationFactor > brokers) {
        issue(["topics", index, "replicationFactor"], `at most kafka.brokers (${brokers})`);
      }
      if (config.topics.findIndex((other) => other.name === topic.name) !== index) {
        issue(["topics", index, "name"], "a name not used by another topic");
      }
    });
    if (
      config.cassandra.replicationFactor !== undefined &&
      config.cassandra.replicationFactor > config.cassandra.nodes
    ) {
      issue(["cassandra", "replicationFactor"], `at most cassandra.nodes (${config.cassandra.nodes})`);
    }
    if ((config.streamingJob.executorCores ?? 0) > config.spark.workerCores) {
      issue(["streamingJob", "executorCores"], `at most spark.workerCores (${config.spark.workerCores})`);
    }
    if ((config.streamingJob.executorMemoryMiB ?? 0) > config.spark.workerMemoryMiB) {
      issue(
        ["streamingJob", "executorMemoryMiB"],
        `at most spark.workerMemoryMiB (${config.spark.workerMemoryMiB})`,
      );
    }
    const built = builtImageNames.filter((image) => config.images[image] === undefined);
    if (
      config.target === "kubernetes" &&
      config.kubernetes?.imageRegistry === undefined &&
      built.length > 0
    ) {
      issue(
        ["kubernetes", "imageRegistry"],
        `a registry the cluster pulls from (e.g. ghcr.io/acme): the images built here (${built.join(", ")}) are pushed there; or name images built elsewhere with data-pipeline:images.<${built.join("|")}>`,
      );
    }
    if (config.target === "docker" && config.kubernetes !== undefined) {
      issue(["kubernetes"], 'unset on the docker target (it applies to target "kubernetes" only)');
    }
    if (config.target === "kubernetes" && config.docker !== undefined) {
      issue(["docker"], 'unset on the kubernetes target (it applies to target "docker" only)');
    }
    if (config.target === "docker") {
      const used = new Map<number, string>();
      const claim = (hostPort: number, key: (string | number)[]) => {
        const owner = used.get(hostPort);
        if (owner) issue(key, `a host port not already used by ${owner}`);
        else used.set(hostPort, key.join("."));
      };
      for (let i = 0; i < brokers; i++) claim(config.kafka.hostPort + i, ["kafka", "hostPort"]);
      claim(config.schemaRegistry.hostPort, ["schemaRegistry", "hostPort"]);
      if (config.controlCenter.enabled) claim(config.controlCenter.hostPort, ["controlCenter", "hostPort"]);
      claim(config.cassandra.hostPort, ["cassandra", "hostPort"]);
      claim(config.spark.masterUiHostPort, ["spark", "masterUiHostPort"]);
      claim(config.airflow.hostPort, ["airflow", "hostPort"]);
    }
  });

/** The validated stack config. */
export type StackConfig = z.infer<typeof stackSchema>;

/** A stack config was refused: one line per bad key. */
export class StackConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`Unable to load stack config:\n  ${problems.join("\n  ")}`);
    this.name = "StackConfigError";
  }
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** `data-pipeline:kafka.brokers`, `data-pipeline:topics[0].name`: the form `pulumi config set --path` takes. */
function keyName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key, index) =>
      typeof key === "number" ? `${name}[${key}]` : `${name}${index === 0 ? ":" : "."}${String(key)}`,
    configNamespace,
  );
}

function describe(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

/**
 * Validates raw stack config (`{ target: "docker", kafka: { brokers: 1 } }`, keys without the
 * namespace). Throws {@link StackConfigError} naming every bad key, its value and what is allowed.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const result = stackSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return `${keyName(path)} = ${describe(valueAt(raw, path))} is not a known key. Remove it (\`pulumi config rm --path ${keyName(path)}\`); see the README's config reference.`;
      });
    }
    const value = valueAt(raw, issue.path);
    return [
      `${keyName(issue.path)} = ${describe(value)} is not allowed: expected ${issue.message}. Set it with \`pulumi config set --path ${keyName(issue.path)} <value>\`.`,
    ];
  });
  throw new StackConfigError(problems);
}

/**
 * Reads this stack's `data-pipeline:*` keys from Pulumi's config map (`pulumi.runtime.allConfig()`),
 * where structured values arrive as JSON text, into the raw object {@link parseStackConfig} takes.
 */
export function rawStackConfig(allConfig: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(allConfig)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace !== configNamespace || key === undefined) continue;
    raw[key] = /^\s*[[{]/.test(text) ? JSON.parse(text) : text;
  }
  return raw;
}
