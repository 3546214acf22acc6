import test from "ava";
import { versions } from "../../components/versions";
import { parseStackConfig, rawStackConfig, StackConfigError } from "../../infra/config";
import { stackFileConfig } from "./support/stacks";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const scratch = mkdtempSync(join(tmpdir(), "config-test-"));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
/** A file that exists but holds no certificate. */
const notPem = join(scratch, "not-a-bundle.pem");
writeFileSync(notPem, "just text\n");
/** A PEM bundle with one (self-signed, test-only) certificate body. */
const onePem = join(scratch, "bundle.pem");
writeFileSync(
  onePem,
  "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0FUZXN0\n-----END CERTIFICATE-----\n",
);

test("buildCaBundle: unset by default; a readable PEM bundle is accepted as a path", (t) => {
  t.is(parseStackConfig({ target: "docker" }).buildCaBundle, undefined);
  t.is(parseStackConfig({ target: "docker", buildCaBundle: onePem }).buildCaBundle, onePem);
});

test("the committed dev and staging stacks are valid", (t) => {
  const dev = parseStackConfig(stackFileConfig("dev"));
  t.is(dev.target, "docker");
  t.is(dev.docker?.hostIp, "127.0.0.1");
  t.true(dev.controlCenter.enabled);
  const staging = parseStackConfig(stackFileConfig("staging"));
  t.is(staging.target, "kubernetes");
  t.is(staging.kubernetes?.namespace, "data-pipeline-staging");
  t.is(staging.kubernetes?.storageClass, "standard");
  t.is(staging.kafka.brokers, 3);
  t.false(staging.controlCenter.enabled);
});

test("kubernetes hardening: on by default, each key turns one part off", (t) => {
  const secure = parseStackConfig({ target: "kubernetes", kubernetes: { imageRegistry: "r.example.com" } });
  t.like(secure.kubernetes, {
    podSecurity: "restricted",
    networkPolicies: true,
    podDisruptionBudgets: true,
    apiServerCidr: "0.0.0.0/0",
  });
  const relaxed = parseStackConfig({
    target: "kubernetes",
    kubernetes: {
      imageRegistry: "r.example.com",
      podSecurity: "baseline",
      networkPolicies: false,
      podDisruptionBudgets: false,
      apiServerCidr: "10.96.0.1/32",
    },
  });
  t.like(relaxed.kubernetes, {
    podSecurity: "baseline",
    networkPolicies: false,
    podDisruptionBudgets: false,
    apiServerCidr: "10.96.0.1/32",
  });
});

test("defaults fill every optional key", (t) => {
  const config = parseStackConfig({ target: "docker" });
  t.is(config.confluentVersion, versions.confluentPlatform);
  t.is(config.kafka.brokers, 1);
  t.is(config.kafka.mode, "zookeeper");
  t.is(config.kafka.hostPort, 9094);
  t.is(config.zookeeper.replicas, 1);
  t.is(config.schemaRegistry.hostPort, 8081);
  t.false(config.controlCenter.enabled);
  t.deepEqual(config.topics, [{ name: "users_created", partitions: 3, retentionHours: 168 }]);
  t.is(config.streamingJob.batchAttemptTimeoutSeconds, 300);
  t.is(config.kafka.authentication, "scram-sha-512", "secure by default");
  t.is(
    parseStackConfig({ target: "docker", kafka: { authentication: "none" } }).kafka.authentication,
    "none",
  );
});

/** Each case: the raw config, then the key, the value and a fragment of the allowed form the message must name. */
const badConfigs: {
  title: string;
  raw: Record<string, unknown>;
  key: string;
  value: string;
  allowed: string;
}[] = [
  {
    title: "unknown target",
    raw: { target: "nomad" },
    key: "data-pipeline:target",
    value: '"nomad"',
    allowed: '"docker" or "kubernetes"',
  },
  {
    title: "missing target",
    raw: {},
    key: "data-pipeline:target",
    value: "(unset)",
    allowed: '"docker" or "kubernetes"',
  },
  {
    title: "brokers < 1",
    raw: { target: "docker", kafka: { brokers: 0 } },
    key: "data-pipeline:kafka.brokers",
    value: "0",
    allowed: "an integer from 1 to 99",
  },
  {
    title: "an unknown Kafka authentication",
    raw: { target: "docker", kafka: { authentication: "plain" } },
    key: "data-pipeline:kafka.authentication",
    value: '"plain"',
    allowed: '"scram-sha-512" or "none"',
  },
  {
    title: "Kafka authentication given as a boolean",
    raw: {
      target: "kubernetes",
      kubernetes: { imageRegistry: "r.example.com" },
      kafka: { authentication: false },
    },
    key: "data-pipeline:kafka.authentication",
    value: "false",
    allowed: '"scram-sha-512" or "none"',
  },
  {
    title: "fractional brokers",
    raw: { target: "docker", kafka: { brokers: 1.5 } },
    key: "data-pipeline:kafka.brokers",
    value: "1.5",
    allowed: "integer",
  },
  {
    title: "replication factor > brokers",
    raw: { target: "docker", kafka: { brokers: 1, defaultReplicationFactor: 3 } },
    key: "data-pipeline:kafka.defaultReplicationFactor",
    value: "3",
    allowed: "at most kafka.brokers (1)",
  },
  {
    title: "topic replication factor > brokers",
    raw: {
      target: "kubernetes",
      kubernetes: { imageRegistry: "r" },
      kafka: { brokers: 2 },
      topics: [{ name: "users", replicationFactor: 3 }],
    },
    key: "data-pipeline:topics[0].replicationFactor",
    value: "3",
    allowed: "at most kafka.brokers (2)",
  },
  {
    title: "bad port",
    raw: { target: "docker", kafka: { hostPort: 70000 } },
    key: "data-pipeline:kafka.hostPort",
    value: "70000",
    allowed: "an integer from 1024 to 65535",
  },
  {
    title: "privileged port",
    raw: { target: "docker", schemaRegistry: { hostPort: 80 } },
    key: "data-pipeline:schemaRegistry.hostPort",
    value: "80",
    allowed: "from 1024",
  },
  {
    title: "negative memory",
    raw: { target: "docker", kafka: { memoryMiB: -512 } },
    key: "data-pipeline:kafka.memoryMiB",
    value: "-512",
    allowed: "an integer from 512",
  },
  {
    title: "memory as text",
    raw: { target: "docker", zookeeper: { memoryMiB: "1g" } },
    key: "data-pipeline:zookeeper.memoryMiB",
    value: '"1g"',
    allowed: "an integer from 256",
  },
  {
    title: "floating image tag",
    raw: { target: "docker", confluentVersion: "latest" },
    key: "data-pipeline:confluentVersion",
    value: '"latest"',
    allowed: "exact Confluent Platform 7.9 version",
  },
  {
    title: "other Confluent line",
    raw: { target: "docker", confluentVersion: "8.0.0" },
    key: "data-pipeline:confluentVersion",
    value: '"8.0.0"',
    allowed: "7.9",
  },
  {
    title: "other Spark line",
    raw: { target: "docker", spark: { version: "3.4.4" } },
    key: "data-pipeline:spark.version",
    value: '"3.4.4"',
    allowed: "an exact Spark 3.5 version",
  },
  {
    title: "unknown key",
    raw: { target: "docker", kafak: { brokers: 1 } },
    key: "data-pipeline:kafak",
    value: '{"brokers":1}',
    allowed: "not a known key",
  },
  {
    title: "unknown nested key",
    raw: { target: "docker", kafka: { broker: 3 } },
    key: "data-pipeline:kafka.broker",
    value: "3",
    allowed: "not a known key",
  },
  {
    title: "unknown kafka mode",
    raw: { target: "docker", kafka: { mode: "raft" } },
    key: "data-pipeline:kafka.mode",
    value: '"raft"',
    allowed: '"zookeeper" or "kraft"',
  },
  {
    title: "even ZooKeeper ensemble",
    raw: { target: "docker", zookeeper: { replicas: 2 } },
    key: "data-pipeline:zookeeper.replicas",
    value: "2",
    allowed: "1, 3 or 5",
  },
  {
    title: "bad storage size",
    raw: { target: "kubernetes", kafka: { storageSize: "20GB" } },
    key: "data-pipeline:kafka.storageSize",
    value: '"20GB"',
    allowed: "a size such as 512Mi",
  },
  {
    title: "bad host address",
    raw: { target: "docker", docker: { hostIp: "localhost" } },
    key: "data-pipeline:docker.hostIp",
    value: '"localhost"',
    allowed: "an IPv4 address",
  },
  {
    title: "bad namespace",
    raw: { target: "kubernetes", kubernetes: { namespace: "Data_Pipeline" } },
    key: "data-pipeline:kubernetes.namespace",
    value: '"Data_Pipeline"',
    allowed: "a DNS label",
  },
  {
    title: "kubernetes block on docker",
    raw: { target: "docker", kubernetes: { namespace: "x" } },
    key: "data-pipeline:kubernetes",
    value: '{"namespace":"x"}',
    allowed: 'applies to target "kubernetes" only',
  },
  {
    title: "bad topic name",
    raw: { target: "docker", topics: [{ name: "users created" }] },
    key: "data-pipeline:topics[0].name",
    value: '"users created"',
    allowed: "letters, digits",
  },
  {
    title: "duplicate topic",
    raw: { target: "docker", topics: [{ name: "a" }, { name: "a" }] },
    key: "data-pipeline:topics[1].name",
    value: '"a"',
    allowed: "not used by another topic",
  },
  {
    title: "no topics",
    raw: { target: "docker", topics: [] },
    key: "data-pipeline:topics",
    value: "[]",
    allowed: "at least one topic",
  },
  {
    title: "bad retention",
    raw: { target: "docker", topics: [{ name: "a", retentionHours: 0 }] },
    key: "data-pipeline:topics[0].retentionHours",
    value: "0",
    allowed: "-1 to keep forever",
  },
  {
    title: "host ports collide",
    raw: { target: "docker", kafka: { brokers: 2, hostPort: 8080 }, schemaRegistry: { hostPort: 8081 } },
    key: "data-pipeline:schemaRegistry.hostPort",
    value: "8081",
    allowed: "not already used by kafka.hostPort",
  },
  {
    title: "a batch attempt timeout below the job's minimum",
    raw: { target: "docker", streamingJob: { batchAttemptTimeoutSeconds: 5 } },
    key: "data-pipeline:streamingJob.batchAttemptTimeoutSeconds",
    value: "5",
    allowed: "an integer from 10 to 86400",
  },
  {
    title: "min ISR above replication",
    raw: { target: "docker", kafka: { brokers: 1, minInsyncReplicas: 2 } },
    key: "data-pipeline:kafka.minInsyncReplicas",
    value: "2",
    allowed: "at most the default replication factor (1)",
  },
  {
    title: "a CA bundle path that does not exist",
    raw: { target: "docker", buildCaBundle: "/nonexistent/ca.pem" },
    key: "data-pipeline:buildCaBundle",
    value: '"/nonexistent/ca.pem"',
    allowed: "readable PEM file with at least one CA certificate",
  },
  {
    title: "a CA bundle file without a PEM certificate",
    raw: { target: "kubernetes", kubernetes: { imageRegistry: "r.example.com" }, buildCaBundle: notPem },
    key: "data-pipeline:buildCaBundle",
    value: JSON.stringify(notPem),
    allowed: "readable PEM file with at least one CA certificate",
  },
  {
    title: "a Pod Security level other than restricted or baseline",
    raw: { target: "kubernetes", kubernetes: { imageRegistry: "r.example.com", podSecurity: "privileged" } },
    key: "data-pipeline:kubernetes.podSecurity",
    value: '"privileged"',
    allowed: '"restricted" or "baseline"',
  },
  {
    title: "network policies given as a string",
    raw: { target: "kubernetes", kubernetes: { imageRegistry: "r.example.com", networkPolicies: "off" } },
    key: "data-pipeline:kubernetes.networkPolicies",
    value: '"off"',
    allowed: "true or false",
  },
  {
    title: "disruption budgets given as a number",
    raw: { target: "kubernetes", kubernetes: { imageRegistry: "r.example.com", podDisruptionBudgets: 0 } },
    key: "data-pipeline:kubernetes.podDisruptionBudgets",
    value: "0",
    allowed: "true or false",
  },
  {
    title: "an API server range that is not a CIDR",
    raw: { target: "kubernetes", kubernetes: { imageRegistry: "r.example.com", apiServerCidr: "10.0.0.1" } },
    key: "data-pipeline:kubernetes.apiServerCidr",
    value: '"10.0.0.1"',
    allowed: "an IPv4 CIDR",
  },
  {
    title: "a CA bundle that is not a string",
    raw: { target: "docker", buildCaBundle: 42 },
    key: "data-pipeline:buildCaBundle",
    value: "42",
    allowed: "readable PEM file",
  },
];

for (const bad of badConfigs) {
  test(`refuses ${bad.title}, naming the key, the value and what is allowed`, (t) => {
    const error = t.throws(() => parseStackConfig(bad.raw), { instanceOf: StackConfigError });
    const line = error?.problems.find((problem) => problem.startsWith(`${bad.key} =`));
    t.truthy(line, `no message for ${bad.key} in:\n${error?.message}`);
    t.true(line?.includes(`= ${bad.value} `), line);
    t.true(line?.includes(bad.allowed), line);
  });
}

test("reports every bad key at once, one line each", (t) => {
  const error = t.throws(
    () =>
      parseStackConfig({
        target: "docker",
        kafka: { brokers: 0, memoryMiB: -1 },
        confluentVersion: "latest",
      }),
    {
      instanceOf: StackConfigError,
    },
  );
  t.is(error?.problems.length, 3);
  t.regex(error?.message ?? "", /^Unable to load stack config:/);
});

test("reads Pulumi's config map: JSON objects parsed, scalars kept, other namespaces ignored", (t) => {
  const raw = rawStackConfig({
    "data-pipeline:target": "docker",
    "data-pipeline:kafka": '{"brokers":2}',
    "data-pipeline:topics": '[{"name":"a"}]',
    "docker:host": "unix:///var/run/docker.sock",
  });
  t.deepEqual(raw, { target: "docker", kafka: { brokers: 2 }, topics: [{ name: "a" }] });
});

test("accepts prebuilt image references with an exact tag, a digest or both", (t) => {
  const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
  const config = parseStackConfig({
    target: "kubernetes",
    images: {
      producer: "localhost:5000/data-pipeline-producer:0.1.0",
      streamingJob: `ghcr.io/acme/spark-job@${digest}`,
      airflow: `registry.example.com/a/b/airflow:3.1.3@${digest}`,
    },
  });
  t.is(config.images.producer, "localhost:5000/data-pipeline-producer:0.1.0");
  t.is(config.kubernetes, undefined, "no registry is needed when nothing is built");
  t.deepEqual(parseStackConfig({ target: "docker" }).images, {});
});

const badImages: { title: string; image: string }[] = [
  { title: "a latest tag", image: "ghcr.io/acme/data-pipeline-producer:latest" },
  { title: "no tag (which means latest)", image: "ghcr.io/acme/data-pipeline-producer" },
  { title: "upper case in the path", image: "ghcr.io/Acme/producer:1.0" },
  { title: "a short digest", image: "ghcr.io/acme/producer@sha256:abc" },
  { title: "a space", image: "ghcr.io/acme/producer:1.0 --privileged" },
];
for (const bad of badImages) {
  test(`refuses a prebuilt image with ${bad.title}, naming the key, the value and what is allowed`, (t) => {
    const error = t.throws(
      () => parseStackConfig({ target: "docker", images: { streamingJob: bad.image } }),
      {
        instanceOf: StackConfigError,
      },
    );
    t.is(error?.problems.length, 1);
    const line = error?.problems[0] ?? "";
    t.true(
      line.startsWith(`data-pipeline:images.streamingJob = ${JSON.stringify(bad.image)} is not allowed`),
      line,
    );
    t.true(line.includes("an image reference with an exact tag or digest"), line);
    t.true(line.includes("never latest"), line);
  });
}

test("refuses an unknown prebuilt image key", (t) => {
  const error = t.throws(() => parseStackConfig({ target: "docker", images: { spark: "spark:3.5.7" } }), {
    instanceOf: StackConfigError,
  });
  t.regex(error?.message ?? "", /data-pipeline:images\.spark = "spark:3\.5\.7" is not a known key/);
});

test("Kubernetes needs a registry for the images it still builds, and names them", (t) => {
  const error = t.throws(
    () => parseStackConfig({ target: "kubernetes", images: { producer: "ghcr.io/acme/producer:1.0" } }),
    { instanceOf: StackConfigError },
  );
  t.is(error?.problems.length, 1);
  const line = error?.problems[0] ?? "";
  t.true(line.startsWith("data-pipeline:kubernetes.imageRegistry = (unset) is not allowed"), line);
  t.true(line.includes("(streamingJob, airflow)"), line);
  t.true(line.includes("data-pipeline:images.<streamingJob|airflow>"), line);
});
