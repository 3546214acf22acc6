/**
 * Kubernetes hardening of the staging stack: Pod Security `restricted`, NetworkPolicies derived from
 * the workloads' connections, PodDisruptionBudgets, service-account tokens, and the stack config
 * keys that turn each off.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import test from "ava";
import { findResource, resetRegistered, settle, unwrapSecrets } from "./support/mocks";
import type { RegisteredResource } from "./support/mocks";
import { allows } from "./support/network-policy";
import type { PodLabels } from "./support/network-policy";
import { restrictedViolations } from "./support/pod-security";
import { podEnv, podSpecOf } from "./support/pods";
import { stackFileConfig } from "./support/stacks";
import { deployStack } from "../../infra/stack";
import { policyPorts, workloadFlows } from "../../infra/kubernetes/network";
import { driverPorts, executorPortRange, sparkPorts } from "../../components";
import type { ServiceSpec, Workload } from "../../components";
import { KubernetesTarget } from "../../infra/kubernetes";

test.beforeEach(() => resetRegistered());

const workloadTypes = /:(StatefulSet|Deployment|Job)$/;
const staging = () => stackFileConfig("staging");
/** Every optional part on: Control Center, KRaft, Avro (Schema Registry clients). */
const stagingEverything = () => ({
  ...staging(),
  controlCenter: { enabled: true },
  kafka: { mode: "kraft", brokers: 3 },
  recordFormat: "avro",
});
const withKubernetes = (extra: Record<string, unknown>) => {
  const config = staging();
  return { ...config, kubernetes: { ...(config["kubernetes"] as object), ...extra } };
};

const workloadsOf = (resources: readonly RegisteredResource[]) =>
  resources.filter((resource) => workloadTypes.test(resource.type));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const policiesOf = (resources: readonly RegisteredResource[]): any[] =>
  resources
    .filter((resource) => resource.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    .map((resource) => unwrapSecrets(resource.inputs));

const podOf = (workload: RegisteredResource): PodLabels => ({
  name: workload.name,
  labels: workload.inputs.spec.template.metadata.labels,
});

/** The labels the DAG gives the producer's pods (dags/users_pipeline_tasks/produce.py). */
function producerPod(): PodLabels {
  const source = fs.readFileSync(
    path.resolve(__dirname, "..", "..", "dags", "users_pipeline_tasks", "produce.py"),
    "utf8",
  );
  const match = /labels=(\{[^}]*\})/.exec(source);
  if (!match?.[1]) throw new Error("produce.py: no labels= found for the producer pod");
  return { name: "producer", labels: JSON.parse(match[1]) as Record<string, string> };
}

/** `<service>` or `<service>-<n>.<service>-headless` in the namespace, with a port. */
const serviceAddress =
  /([a-z0-9-]+?)(?:-\d+\.\1-headless)?\.data-pipeline-staging\.svc\.cluster\.local:(\d+)/g;

function addressesIn(text: string): { service: string; port: number }[] {
  return [...text.matchAll(serviceAddress)].map((match) => ({
    service: match[1] as string,
    port: Number(match[2]),
  }));
}

for (const [title, config] of [
  ["staging", staging],
  ["staging with Control Center, KRaft and Avro", stagingEverything],
] as const) {
  test.serial(`${title}: every pod meets the restricted Pod Security level`, async (t) => {
    deployStack(config());
    const resources = await settle();
    const namespace = findResource(resources, ":Namespace", "kubernetes-namespace");
    t.is(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const workloads = workloadsOf(resources);
    t.true(workloads.length >= 16);
    for (const workload of workloads) {
      const template = workload.inputs.spec.template;
      t.deepEqual(restrictedViolations(template.spec, template.metadata.annotations), [], workload.name);
    }
  });
}

test("the restricted check finds what breaks it", (t) => {
  const pod = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    volumes: [{ name: "host", hostPath: { path: "/" } }],
    initContainers: [{ name: "init", securityContext: { allowPrivilegeEscalation: false } }],
    containers: [
      {
        name: "main",
        ports: [{ containerPort: 80, hostPort: 80 }],
        securityContext: {
          allowPrivilegeEscalation: false,
          runAsUser: 0,
          capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] },
          seccompProfile: { type: "Unconfined" },
        },
      },
    ],
  };
  t.deepEqual(restrictedViolations(pod), [
    "volume host: hostPath",
    "volume host: type hostPath",
    "container init: capabilities do not drop ALL",
    "container main: hostPort 80",
    "container main: runAsUser 0",
    "container main: seccompProfile Unconfined",
    "container main: adds capability SYS_ADMIN",
    "container main: adds non-baseline capability SYS_ADMIN",
  ]);
  t.deepEqual(restrictedViolations({ containers: [{ name: "bare" }] }), [
    "container bare: allowPrivilegeEscalation not false",
    "container bare: runAsNonRoot not true",
    "container bare: seccompProfile undefined",
    "container bare: capabilities do not drop ALL",
  ]);
});

test.serial(
  "network policies: default deny, DNS for every pod, API server only for the scheduler",
  async (t) => {
    deployStack(staging());
    const resources = await settle();
    const policies = policiesOf(resources);
    const byName = new Map(policies.map((policy) => [policy.metadata.name, policy]));
    t.deepEqual(byName.get("default-deny")?.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    t.deepEqual(byName.get("allow-dns")?.spec.egress[0].ports, [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    t.deepEqual(byName.get("allow-dns")?.spec.podSelector, {});
    const toApi = policies.filter((policy) => policy.metadata.name.endsWith("-to-kubernetes-api"));
    t.deepEqual(
      toApi.map((policy) => policy.metadata.name),
      ["airflow-scheduler-to-kubernetes-api"],
    );
    t.deepEqual(toApi[0].spec.egress[0], {
      to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
      ports: [
        { protocol: "TCP", port: 443 },
        { protocol: "TCP", port: 6443 },
      ],
    });
    // Every flow is a pair with the same ports: egress on its source, ingress on its destination.
    for (const policy of policies) {
      const match = /^(.+)-to-(.+)$/.exec(policy.metadata.name);
      if (!match || match[2] === "kubernetes-api") continue;
      const ingress = byName.get(`${match[2]}-from-${match[1]}`);
      t.truthy(ingress, `${policy.metadata.name} has no ingress half`);
      t.deepEqual(ingress?.spec.ingress[0].ports, policy.spec.egress[0].ports, policy.metadata.name);
    }
    t.true(policies.every((policy) => policy.metadata.namespace === "data-pipeline-staging"));
  },
);

for (const [title, config] of [
  ["staging", staging],
  ["staging with Control Center, KRaft and Avro", stagingEverything],
] as const) {
  test.serial(`${title}: every address a pod is handed (and every wait) is an allowed flow`, async (t) => {
    deployStack(config());
    const resources = await settle();
    const policies = policiesOf(resources);
    const workloads = workloadsOf(resources);
    const pods = new Map(workloads.map((workload) => [workload.name, podOf(workload)]));
    const podFor = (service: string): PodLabels => {
      const pod = pods.get(service);
      if (!pod) throw new Error(`no pod for service ${service}`);
      return pod;
    };
    let checked = 0;
    const check = (from: PodLabels, service: string, port: number, why: string) => {
      if (service === from.name) return; // a process naming itself (advertised listeners, driver host)
      t.true(allows(policies, from, podFor(service), port), `${from.name} -> ${service}:${port} (${why})`);
      checked++;
    };
    for (const workload of workloads) {
      const pod = podSpecOf(workload);
      const from = podOf(workload);
      for (const init of pod.initContainers ?? []) {
        for (const match of (init.command[2] as string).matchAll(/nc -z -w 2 ([a-z0-9-]+)\.\S+ (\d+)/g)) {
          check(from, match[1] as string, Number(match[2]), init.name);
        }
      }
      const env = podEnv(workload);
      const airflow = workload.name.startsWith("airflow-");
      for (const [key, value] of Object.entries(env)) {
        if (typeof value !== "string") continue; // a secret reference
        // Task settings: only the scheduler's tasks use them; every Airflow process is handed them.
        if (airflow && workload.name !== "airflow-scheduler" && /^AIRFLOW_(CONN|VAR)_/.test(key)) continue;
        // The execution API: the migration runs no tasks.
        if (workload.name === "airflow-migrate" && key === "AIRFLOW__CORE__EXECUTION_API_SERVER_URL")
          continue;
        // The producer's environment is handed on to the producer's pods: checked as theirs.
        const source = key === "AIRFLOW_VAR_PRODUCER_ENV" ? producerPod() : from;
        for (const address of addressesIn(value)) check(source, address.service, address.port, key);
      }
      for (const arg of [...(podSpecOf(workload).containers[0].args ?? [])]) {
        for (const address of addressesIn(String(arg).replace("spark://", ""))) {
          check(from, address.service, address.port, "args");
        }
      }
    }
    t.true(checked >= 30, `checked ${checked} addresses`);
  });
}

test.serial("network policies allow the pipeline's flows and nothing else between its pods", async (t) => {
  deployStack({ ...staging(), controlCenter: { enabled: true }, recordFormat: "avro" });
  const resources = await settle();
  const policies = policiesOf(resources);
  const pods = new Map(workloadsOf(resources).map((workload) => [workload.name, podOf(workload)]));
  pods.set("producer", producerPod());
  const pod = (name: string) => pods.get(name) as PodLabels;
  const allowed: [string, string, number][] = [
    ["kafka", "zookeeper", 2181],
    ["zookeeper", "zookeeper", 2888],
    ["zookeeper", "zookeeper", 3888],
    ["kafka", "kafka", 9092],
    ["schema-registry", "kafka", 9092],
    ["control-center", "kafka", 9092],
    ["control-center", "schema-registry", 8081],
    ["topic-users-created", "kafka", 9092],
    ["producer", "kafka", 9092],
    ["producer", "schema-registry", 8081],
    ["users-stream", "kafka", 9092],
    ["users-stream", "schema-registry", 8081],
    ["users-stream", "cassandra", 9042],
    ["users-stream", "spark-master", 7077],
    ["users-stream", "spark-worker", 7079],
    ["users-stream", "spark-worker", 7095],
    ["spark-worker", "users-stream", 7078],
    ["spark-worker", "users-stream", 7079],
    ["spark-master", "users-stream", 7078],
    ["spark-worker", "spark-master", 7077],
    ["spark-master", "spark-worker", 7100],
    ["spark-worker", "spark-worker", 7080],
    // Executors run inside the workers: they read the topic, write Cassandra and decode Avro.
    ["spark-worker", "kafka", 9092],
    ["spark-worker", "cassandra", 9042],
    ["spark-worker", "schema-registry", 8081],
    ["cassandra", "cassandra", 7000],
    ["cassandra-schema", "cassandra", 9042],
    ["airflow-migrate", "airflow-postgres", 5432],
    ["airflow-scheduler", "airflow-postgres", 5432],
    ["airflow-scheduler", "airflow-api-server", 8080],
    ["airflow-scheduler", "kafka", 9092],
    ["airflow-scheduler", "cassandra", 9042],
    ["airflow-dag-processor", "airflow-api-server", 8080],
    ["airflow-triggerer", "airflow-postgres", 5432],
  ];
  for (const [from, to, port] of allowed) {
    t.true(allows(policies, pod(from), pod(to), port), `${from} -> ${to}:${port} should be allowed`);
  }
  const refused: [string, string, number][] = [
    ["producer", "cassandra", 9042],
    ["producer", "airflow-postgres", 5432],
    ["producer", "zookeeper", 2181],
    ["users-stream", "airflow-postgres", 5432],
    ["users-stream", "zookeeper", 2181],
    ["schema-registry", "cassandra", 9042],
    ["schema-registry", "zookeeper", 2181],
    ["cassandra", "kafka", 9092],
    ["kafka", "cassandra", 9042],
    ["kafka", "zookeeper", 2888],
    ["spark-master", "cassandra", 9042],
    ["spark-worker", "spark-worker", 7100],
    ["spark-worker", "users-stream", 4040],
    ["topic-users-created", "zookeeper", 2181],
    ["airflow-api-server", "kafka", 9092],
    ["control-center", "cassandra", 9042],
    ["airflow-scheduler", "schema-registry", 8081],
    ["airflow-scheduler", "kafka", 443],
    ["kafka", "kafka", 9093],
  ];
  for (const [from, to, port] of refused) {
    t.false(allows(policies, pod(from), pod(to), port), `${from} -> ${to}:${port} should be refused`);
  }
});

test.serial(
  "KRaft: brokers reach the controller quorum; JSON records: nobody needs Schema Registry",
  async (t) => {
    deployStack({ ...staging(), kafka: { mode: "kraft", brokers: 3 } });
    const resources = await settle();
    const policies = policiesOf(resources);
    const pods = new Map(workloadsOf(resources).map((workload) => [workload.name, podOf(workload)]));
    const kafka = pods.get("kafka") as PodLabels;
    t.true(allows(policies, kafka, kafka, 9093));
    t.false(pods.has("zookeeper"));
    t.false(
      policies.some((policy) => /zookeeper/.test(policy.metadata.name)),
      "no ZooKeeper policies in KRaft mode",
    );
    const registry = pods.get("schema-registry") as PodLabels;
    for (const client of ["users-stream", "spark-worker", "airflow-scheduler"]) {
      t.false(allows(policies, pods.get(client) as PodLabels, registry, 8081), client);
    }
    t.false(allows(policies, producerPod(), registry, 8081), "producer");
  },
);

test("flows: a dependency's probe port and declared connections merge into one flow per pair", (t) => {
  const kafka: Workload = { name: "kafka", kind: "service", probePort: 9092, resources: [] };
  const flows = workloadFlows({
    name: "client",
    component: "client",
    image: "client:1",
    dependsOn: [{ workload: kafka }, { workload: { name: "setup", kind: "job", resources: [] } }],
    connectsTo: [
      { service: "kafka", ports: [9092, 9093] },
      { service: "cache", ports: [{ from: 7000, to: 7010 }] },
      { service: "client", ports: [8080], from: "agent" },
      { service: "kafka", ports: [9092], from: "agent" },
    ],
  });
  t.deepEqual(
    flows.map((flow) => [flow.from.name, flow.to.name, flow.ports]),
    [
      ["client", "kafka", [9092, 9093]],
      ["client", "cache", [{ from: 7000, to: 7010 }]],
      ["agent", "client", [8080]],
      ["agent", "kafka", [9092]],
    ],
  );
  t.deepEqual(policyPorts([{ from: 7000, to: 7010 }, 53]), [
    { protocol: "TCP", port: 7000, endPort: 7010 },
    { protocol: "TCP", port: 53 },
  ]);
});

test.serial(
  "a PodDisruptionBudget (maxUnavailable 1) for every service with more than one replica",
  async (t) => {
    deployStack(staging());
    const resources = await settle();
    const budgets = resources.filter(
      (resource) => resource.type === "kubernetes:policy/v1:PodDisruptionBudget",
    );
    const replicated = workloadsOf(resources).filter(
      (workload) => !workload.type.endsWith(":Job") && workload.inputs.spec.replicas > 1,
    );
    t.deepEqual(budgets.map((budget) => budget.name).sort(), [
      "cassandra",
      "kafka",
      "spark-worker",
      "zookeeper",
    ]);
    t.deepEqual(
      replicated.map((workload) => workload.name).sort(),
      budgets.map((budget) => budget.name).sort(),
    );
    for (const workload of replicated) {
      const budget = findResource(resources, ":PodDisruptionBudget", workload.name);
      t.is(budget.inputs.spec.maxUnavailable, 1);
      t.deepEqual(budget.inputs.spec.selector, workload.inputs.spec.selector, workload.name);
      t.is(budget.inputs.metadata.namespace, "data-pipeline-staging");
    }
  },
);

test.serial("service-account tokens only where a pod calls the API", async (t) => {
  deployStack(staging());
  const resources = await settle();
  for (const workload of workloadsOf(resources)) {
    const pod = podSpecOf(workload);
    const callsApi = workload.name === "airflow-scheduler";
    t.is(pod.automountServiceAccountToken, callsApi, workload.name);
    t.is(pod.serviceAccountName, callsApi ? "pod-launcher" : undefined, workload.name);
  }
  // The producer's pods run as their own ServiceAccount, which mounts no token.
  const producer = findResource(resources, ":ServiceAccount", "producer");
  t.false(producer.inputs.automountServiceAccountToken);
  t.is(
    podEnv(findResource(resources, ":Deployment", "airflow-scheduler"))[
      "AIRFLOW_VAR_PRODUCER_SERVICE_ACCOUNT"
    ],
    "producer",
  );
});

test.serial("stack config turns each part off explicitly", async (t) => {
  deployStack(
    withKubernetes({
      podSecurity: "baseline",
      networkPolicies: false,
      podDisruptionBudgets: false,
    }),
  );
  const resources = await settle();
  const namespace = findResource(resources, ":Namespace", "kubernetes-namespace");
  t.like(namespace.inputs.metadata.labels, {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  });
  t.deepEqual(policiesOf(resources), []);
  t.false(resources.some((resource) => resource.type.endsWith(":PodDisruptionBudget")));
  // Pods are still rendered to pass `restricted`.
  for (const workload of workloadsOf(resources)) {
    t.deepEqual(restrictedViolations(podSpecOf(workload)), [], workload.name);
  }

  resetRegistered();
  deployStack(withKubernetes({ apiServerCidr: "10.96.0.1/32" }));
  const narrowed = policiesOf(await settle()).find(
    (policy) => policy.metadata.name === "airflow-scheduler-to-kubernetes-api",
  );
  t.deepEqual(narrowed?.spec.egress[0].to, [{ ipBlock: { cidr: "10.96.0.1/32" } }]);
});

test("the Spark ports the policies allow are the ones the job and the workers use", (t) => {
  const submit = fs.readFileSync(path.resolve(__dirname, "..", "..", "spark", "submit.sh"), "utf8");
  const conf = (key: string) => Number(new RegExp(`${key.replace(/\./g, "\\.")}=(\\d+)`).exec(submit)?.[1]);
  t.is(conf("spark.driver.port"), driverPorts.driver);
  // Driver and executors take their block manager port from the same setting.
  t.is(conf("spark.blockManager.port"), driverPorts.blockManager);
  t.is<number, number>(executorPortRange.from, driverPorts.blockManager);
  t.is<number, number>(
    executorPortRange.to,
    executorPortRange.from + 16,
    "spark.port.maxRetries (16) retries",
  );
  t.false(submit.includes("spark.port.maxRetries"), "the default of 16 retries is what the range assumes");
  t.true(sparkPorts.worker < executorPortRange.from || sparkPorts.worker > executorPortRange.to);
});

test.serial(
  "a flow declared by two workloads is one policy; with different ports it is refused",
  async (t) => {
    const target = new KubernetesTarget("flows", { namespace: "flows" });
    const service = (name: string, connectsTo: ServiceSpec["connectsTo"]): ServiceSpec => ({
      name,
      component: name,
      image: `${name}:1`,
      resources: { memoryRequestMiB: 64, memoryLimitMiB: 64 },
      connectsTo,
    });
    target.deployService(service("client", [{ service: "server", ports: [9000] }]), target);
    target.deployService(service("helper", [{ service: "server", ports: [9000], from: "client" }]), target);
    const names = policiesOf(await settle()).map((policy) => policy.metadata.name as string);
    t.deepEqual(
      names.filter((name) => name.includes("server")),
      ["client-to-server", "server-from-client"],
    );
    const error = t.throws(() =>
      target.deployService(service("other", [{ service: "server", ports: [9001], from: "client" }]), target),
    );
    t.regex(
      error?.message ?? "",
      /Unable to render NetworkPolicy client-to-server: two workloads declare the flow/,
    );
  },
);
