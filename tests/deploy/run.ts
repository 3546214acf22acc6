/**
 * `npm run test:deploy`: the staging stack deployed by the real Pulumi engine and the real
 * Kubernetes provider to a real API server (see README "Tests"). Each check prints ✔ or ✘; the last
 * line is `N passed, N failed`; the exit code is 1 when any check failed.
 *
 * Keep the work directory for inspection with DEPLOY_KEEP=1.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { waitImage } from "../../infra/kubernetes/render";
import { buildAll, moduleDirectory, versions } from "./build";
import type { Cluster } from "./cluster";
import { startCluster } from "./cluster";
import type { Operation, Step } from "./pulumi";
import { copyCheckout, Pulumi } from "./pulumi";

const repositoryRoot = path.resolve(__dirname, "..", "..");
const namespace = "data-pipeline-staging";
const stack = "staging";
const images = {
  producer: "registry.example.com/data-pipeline/data-pipeline-producer:deploy-tier",
  streamingJob: "registry.example.com/data-pipeline/data-pipeline-spark-job:deploy-tier",
  airflow: "registry.example.com/data-pipeline/data-pipeline-airflow:deploy-tier",
};
/** Outputs holding generated credentials: they must never change across updates. */
const credentialOutputs = ["cassandraPassword", "cassandraAdminPassword", "airflowAdminPassword"];
/** The Kafka principals of staging (Control Center's comes with Control Center, on day 2). */
const kafkaPrincipals = ["producer", "streaming-job", "schema-registry", "topic-job", "airflow"];
/** Secrets holding generated credentials: updated in place at most, never replaced. */
const credentialSecrets = [
  "cassandra-credentials",
  "airflow-secrets",
  "airflow-database",
  "kafka-user-admin",
  ...kafkaPrincipals.map((principal) => `kafka-user-${principal}`),
];
/** A credential Secret: one of those, or a Kafka principal's added later (`kafka-user-<name>`). */
const isCredentialSecret = (name: string) =>
  credentialSecrets.includes(name) || name.startsWith("kafka-user-");

type KafkaCredentials = Record<string, { username: string; password: string }>;

/** The principals whose generated password is not what it was (a principal added since is not a change). */
function changedKafkaCredentials(before: unknown, after: unknown): string[] {
  const was = (before ?? {}) as KafkaCredentials;
  const now = (after ?? {}) as KafkaCredentials;
  return Object.keys(was).filter((principal) => now[principal]?.password !== was[principal]?.password);
}

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ""): boolean {
  if (ok) passed++;
  else failed++;
  console.log(
    `${ok ? "✔" : "✘"} ${name}${!ok && detail ? `\n    ${detail.split("\n").join("\n    ")}` : ""}`,
  );
  return ok;
}

const log = (line: string) => console.log(`  ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Steps on our resources (not the stack itself, providers or stack references). */
const ours = (steps: readonly Step[]) =>
  steps.filter((step) => !step.type.startsWith("pulumi:") && !step.type.startsWith("data-pipeline:"));
const count = (steps: readonly Step[], op: string) => steps.filter((step) => step.op === op).length;
const describe = (steps: readonly Step[]) =>
  steps
    .map(
      (step) =>
        `${step.op} ${step.type} ${step.name}${step.diffs.length ? ` [${step.diffs.join(",")}]` : ""}`,
    )
    .join("\n");
const failure = (operation: Operation) => operation.output.split("\n").slice(-40).join("\n");

/** Replacement ops: the engine's create-replacement/replace/delete-replaced (and discard variants). */
const replacing = (step: Step) => /replace/.test(step.op);
const isProtectedKind = (step: Step) =>
  /:(StatefulSet|PersistentVolumeClaim|PersistentVolumeClaimPatch)$/.test(step.type) ||
  (/:Secret$/.test(step.type) && isCredentialSecret(step.name)) ||
  step.type.startsWith("random:");

interface Workloads {
  statefulSets: Record<string, { replicas: number; ready: number; updated: number; uid: string }>;
  deployments: Record<string, { replicas: number; available: number; uid: string }>;
  jobs: Record<string, { succeeded: number }>;
  pods: { name: string; phase: string; ready: boolean }[];
  claims: Record<string, { uid: string; storage: string; phase: string }>;
  secrets: Record<string, string>;
}

async function workloads(cluster: Cluster): Promise<Workloads> {
  const list = async (apiPath: string) => {
    const response = await cluster.api("GET", apiPath);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (response.body?.items ?? []) as any[];
  };
  const base = `/namespaces/${namespace}`;
  const result: Workloads = {
    statefulSets: {},
    deployments: {},
    jobs: {},
    pods: [],
    claims: {},
    secrets: {},
  };
  for (const item of await list(`/apis/apps/v1${base}/statefulsets`)) {
    result.statefulSets[item.metadata.name] = {
      replicas: item.spec.replicas,
      ready: item.status?.readyReplicas ?? 0,
      updated: item.status?.updatedReplicas ?? 0,
      uid: item.metadata.uid,
    };
  }
  for (const item of await list(`/apis/apps/v1${base}/deployments`)) {
    result.deployments[item.metadata.name] = {
      replicas: item.spec.replicas,
      available: item.status?.availableReplicas ?? 0,
      uid: item.metadata.uid,
    };
  }
  for (const item of await list(`/apis/batch/v1${base}/jobs`)) {
    result.jobs[item.metadata.name] = { succeeded: item.status?.succeeded ?? 0 };
  }
  for (const item of await list(`/api/v1${base}/pods`)) {
    result.pods.push({
      name: item.metadata.name,
      phase: item.status?.phase,
      ready: (item.status?.conditions ?? []).some(
        (condition: { type: string; status: string }) =>
          condition.type === "Ready" && condition.status === "True",
      ),
    });
  }
  for (const item of await list(`/api/v1${base}/persistentvolumeclaims`)) {
    result.claims[item.metadata.name] = {
      uid: item.metadata.uid,
      storage: item.spec.resources.requests.storage,
      phase: item.status?.phase,
    };
  }
  for (const item of await list(`/api/v1${base}/secrets`))
    result.secrets[item.metadata.name] = item.metadata.uid;
  return result;
}

/** Every StatefulSet and Deployment ready with all replicas, every Job complete, every pod admitted and ready. */
function notReady(state: Workloads): string[] {
  const problems: string[] = [];
  for (const [name, set] of Object.entries(state.statefulSets)) {
    if (set.ready !== set.replicas || set.updated !== set.replicas)
      problems.push(`StatefulSet ${name}: ${set.ready}/${set.replicas} ready, ${set.updated} updated`);
  }
  for (const [name, deployment] of Object.entries(state.deployments)) {
    if (deployment.available !== deployment.replicas)
      problems.push(`Deployment ${name}: ${deployment.available}/${deployment.replicas} available`);
  }
  for (const [name, job] of Object.entries(state.jobs)) {
    if (job.succeeded < 1) problems.push(`Job ${name}: not complete`);
  }
  for (const pod of state.pods) {
    if (!(pod.phase === "Succeeded" || (pod.phase === "Running" && pod.ready)))
      problems.push(`Pod ${pod.name}: ${pod.phase}${pod.ready ? "" : ", not ready"}`);
  }
  for (const [name, claim] of Object.entries(state.claims)) {
    if (claim.phase !== "Bound") problems.push(`PersistentVolumeClaim ${name}: ${claim.phase}`);
  }
  return problems;
}

async function settledWorkloads(cluster: Cluster): Promise<Workloads> {
  let state = await workloads(cluster);
  for (let attempt = 0; attempt < 30 && notReady(state).length > 0; attempt++) {
    await sleep(1000);
    state = await workloads(cluster);
  }
  return state;
}

/** Warnings the engine reported about our program (none is expected). */
const warnings = (operation: Operation) =>
  operation.diagnostics.filter((diagnostic) => diagnostic.severity === "warning").map((d) => d.message);

interface DayTwoChange {
  readonly title: string;
  readonly config: readonly [string, string][];
  /** Resources (type suffix and name) that must be updated in place. */
  readonly updated: readonly [string, string][];
  /** Resources that must be created. */
  readonly created?: readonly [string, string][];
  /** Resources that must be left as they are. */
  readonly unchanged?: readonly [string, string][];
  /** Extra assertion on the cluster after the update. */
  readonly after?: (state: Workloads) => [boolean, string];
}

const dayTwoChanges: readonly DayTwoChange[] = [
  {
    title: "a fourth Kafka broker and 8 partitions for the users topics",
    config: [
      ["kafka.brokers", "4"],
      ["topics[0].partitions", "8"],
    ],
    updated: [["StatefulSet", "kafka"]],
    after: (state) => [
      state.statefulSets["kafka"]?.replicas === 4 && state.claims["data-kafka-3"]?.phase === "Bound",
      `kafka: ${JSON.stringify(state.statefulSets["kafka"])}, claims: ${Object.keys(state.claims).join(", ")}`,
    ],
  },
  {
    title: "a third Spark worker",
    config: [["spark.workers", "3"]],
    updated: [["Deployment", "spark-worker"]],
    after: (state) => [
      state.deployments["spark-worker"]?.replicas === 3,
      JSON.stringify(state.deployments["spark-worker"]),
    ],
  },
  {
    title: "more Cassandra memory",
    config: [["cassandra.memoryMiB", "6144"]],
    updated: [["StatefulSet", "cassandra"]],
  },
  {
    title: "a new Confluent patch version",
    config: [["confluentVersion", "7.9.6"]],
    updated: [
      ["StatefulSet", "zookeeper"],
      ["StatefulSet", "kafka"],
      ["Deployment", "schema-registry"],
    ],
  },
  {
    title: "Control Center turned on",
    config: [["controlCenter.enabled", "true"]],
    updated: [],
    created: [
      ["Deployment", "control-center"],
      ["Job", "kafka-user-control-center"],
      ["Secret", "kafka-user-control-center"],
    ],
    after: (state) => [
      (state.jobs["kafka-user-control-center"]?.succeeded ?? 0) >= 1,
      `kafka-user-control-center: ${JSON.stringify(state.jobs["kafka-user-control-center"])}`,
    ],
  },
  {
    title: "a larger Kafka volume (100Gi): the claims are expanded in place, the StatefulSet kept",
    config: [["kafka.storageSize", "100Gi"]],
    updated: [0, 1, 2, 3].map(
      (ordinal) => ["PersistentVolumeClaimPatch", `kafka-data-${ordinal}-size`] as const,
    ),
    unchanged: [["StatefulSet", "kafka"]],
    after: (state) => {
      const kafkaClaims = Object.entries(state.claims).filter(([name]) => name.startsWith("data-kafka-"));
      return [
        kafkaClaims.length === 4 && kafkaClaims.every(([, claim]) => claim.storage === "100Gi"),
        JSON.stringify(kafkaClaims),
      ];
    },
  },
];

async function main(): Promise<void> {
  const tierStarted = Date.now();
  console.log("deploy tier: the real Pulumi engine and Kubernetes provider against a real API server");

  const buildStarted = Date.now();
  const { binaries, built } = buildAll(log);
  const buildSeconds = (Date.now() - buildStarted) / 1000;
  check(`binaries ready (${built.length} built now, in ${buildSeconds.toFixed(0)} s)`, true);

  const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "data-pipeline-deploy-"));
  log(`work directory: ${workDirectory}`);
  let cluster: Cluster | undefined;
  try {
    const checkout = path.join(workDirectory, "checkout");
    copyCheckout(repositoryRoot, checkout);
    cluster = await startCluster({
      kube: binaries["kube"]!,
      kwokDirectory: moduleDirectory("kube", "sigs.k8s.io/kwok"),
      workDirectory,
      storageClass: "standard",
      log,
    });
    check(`control plane ready on loopback in ${cluster.startSeconds.toFixed(1)} s`, true);
    const pulumi = new Pulumi({
      binaries,
      versions,
      workDirectory,
      checkout,
      kubeconfig: cluster.kubeconfig,
    });
    pulumi.installPlugins();
    const init = pulumi.run(["stack", "init", stack]);
    if (init.status !== 0) throw new Error(`Unable to init the stack: ${init.output}`);
    for (const [key, reference] of Object.entries(images))
      pulumi.configSet(stack, `images.${key}`, reference);
    await deploy(pulumi, cluster);
  } finally {
    await cluster?.stop();
    if (process.env["DEPLOY_KEEP"] === "1") log(`kept ${workDirectory}`);
    else fs.rmSync(workDirectory, { recursive: true, force: true });
  }
  log(`tier: ${((Date.now() - tierStarted) / 1000).toFixed(0)} s (builds ${buildSeconds.toFixed(0)} s)`);
}

async function deploy(pulumi: Pulumi, cluster: Cluster): Promise<void> {
  // 1. preview, then up: every resource created, nothing else.
  const preview = pulumi.run(["preview", "-s", stack], { eventLog: true });
  const planned = ours(preview.steps);
  check(
    `preview of staging plans only creates (${count(planned, "create")} resources)`,
    preview.status === 0 && planned.length > 0 && planned.every((step) => step.op === "create"),
    preview.status === 0 ? describe(planned.filter((step) => step.op !== "create")) : failure(preview),
  );
  const up = pulumi.run(["up", "-s", stack, "--yes", "--skip-preview"], { eventLog: true });
  const created = ours(up.steps);
  log(`up: ${created.length} resources in ${up.seconds.toFixed(0)} s`);
  if (
    !check(
      `up of staging creates every previewed resource (${count(created, "create")} of ${count(planned, "create")})`,
      up.status === 0 &&
        count(created, "create") === count(planned, "create") &&
        created.every((step) => step.op === "create"),
      up.status === 0 ? describe(created.filter((step) => step.op !== "create")) : failure(up),
    )
  ) {
    return;
  }
  check(
    "no engine warning from our program",
    warnings(preview).length + warnings(up).length === 0,
    [...warnings(preview), ...warnings(up)].join("\n"),
  );

  let state = await settledWorkloads(cluster);
  const problems = notReady(state);
  check(
    `every StatefulSet (${Object.keys(state.statefulSets).length}) and Deployment (${Object.keys(state.deployments).length}) ready, every Job (${Object.keys(state.jobs).length}) complete, every pod (${state.pods.length}) running and ready, every claim (${Object.keys(state.claims).length}) bound`,
    problems.length === 0 && state.pods.length > 0 && Object.keys(state.statefulSets).length > 0,
    problems.join("\n"),
  );
  await podSecurity(cluster, state);
  await isolation(pulumi, cluster, state);

  const credentials = pulumi.outputs(stack);
  const secretUids: Record<string, string> = Object.fromEntries(
    Object.entries(state.secrets).filter(([name]) => isCredentialSecret(name)),
  );
  check(
    "generated credentials are stack outputs",
    credentialOutputs.every(
      (key) => typeof credentials[key] === "string" && (credentials[key] as string).length >= 16,
    ),
    JSON.stringify(Object.keys(credentials)),
  );
  await kafkaUsers(pulumi, cluster, state, credentials["kafkaCredentials"]);

  // 2. idempotence.
  const second = pulumi.run(["up", "-s", stack, "--yes", "--skip-preview"], { eventLog: true });
  const secondSteps = ours(second.steps);
  check(
    `second up changes nothing (${count(secondSteps, "same")} unchanged)`,
    second.status === 0 && secondSteps.length > 0 && secondSteps.every((step) => step.op === "same"),
    second.status === 0 ? describe(secondSteps.filter((step) => step.op !== "same")) : failure(second),
  );
  const refresh = pulumi.run(["preview", "-s", stack, "--refresh", "--expect-no-changes"], {
    eventLog: true,
  });
  check(
    "preview --refresh --expect-no-changes passes (the live objects match the state)",
    refresh.status === 0,
    describe(ours(refresh.steps).filter((step) => step.op !== "same" && step.op !== "refresh")) ||
      failure(refresh),
  );

  // 3. day-2 changes.
  for (const change of dayTwoChanges) {
    for (const [key, value] of change.config) pulumi.configSet(stack, key, value);
    const update = pulumi.run(["up", "-s", stack, "--yes", "--skip-preview"], { eventLog: true });
    const steps = ours(update.steps);
    const changed = steps.filter((step) => step.op !== "same");
    if (!check(`day 2, ${change.title}: up succeeds`, update.status === 0, failure(update))) continue;
    const forbidden = changed.filter((step) => replacing(step) && isProtectedKind(step));
    check(
      `day 2, ${change.title}: no StatefulSet, volume claim, credential Secret or random value replaced`,
      forbidden.length === 0,
      describe(forbidden),
    );
    const replacedOthers = changed.filter((step) => replacing(step) && !step.type.endsWith(":Job"));
    const rerun = [
      ...new Set(
        changed.filter((step) => replacing(step) && step.type.endsWith(":Job")).map((step) => step.name),
      ),
    ];
    check(
      `day 2, ${change.title}: every replacement is a Job re-run${rerun.length ? ` (${rerun.join(", ")}: a Job's pod template cannot change)` : " (none)"}`,
      replacedOthers.length === 0,
      describe(replacedOthers),
    );
    const expected = [
      ...change.updated.map(([type, name]) => ["update", type, name] as const),
      ...(change.created ?? []).map(([type, name]) => ["create", type, name] as const),
    ];
    const touched = (change.unchanged ?? []).filter(([type, name]) =>
      changed.some((step) => step.type.endsWith(`:${type}`) && step.name === name),
    );
    if (change.unchanged) {
      check(
        `day 2, ${change.title}: ${change.unchanged.map(([type, name]) => `${type} ${name}`).join(", ")} left as is`,
        touched.length === 0,
        describe(changed.filter((step) => touched.some(([, name]) => name === step.name))),
      );
    }
    const missing = expected.filter(
      ([op, type, name]) =>
        !changed.some((step) => step.op === op && step.type.endsWith(`:${type}`) && step.name === name),
    );
    check(
      `day 2, ${change.title}: ${expected.map(([op, type, name]) => `${op} ${type} ${name}`).join(", ") || "claims patched"} (${changed.length} changes)`,
      missing.length === 0 && changed.length > 0,
      `missing: ${JSON.stringify(missing)}\nchanges:\n${describe(changed)}`,
    );
    const outputs = pulumi.outputs(stack);
    const changedCredentials = [
      ...credentialOutputs.filter((key) => outputs[key] !== credentials[key]),
      ...changedKafkaCredentials(credentials["kafkaCredentials"], outputs["kafkaCredentials"]).map(
        (principal) => `kafkaCredentials.${principal}`,
      ),
    ];
    state = await settledWorkloads(cluster);
    const replacedSecrets = Object.keys(secretUids).filter(
      (name) => state.secrets[name] !== secretUids[name],
    );
    // A principal added by this change (Control Center's) is compared from now on.
    for (const [name, uid] of Object.entries(state.secrets)) {
      if (isCredentialSecret(name) && !(name in secretUids)) secretUids[name] = uid;
    }
    check(
      `day 2, ${change.title}: generated passwords (Kafka's included) and their Secrets unchanged`,
      changedCredentials.length === 0 && replacedSecrets.length === 0,
      `outputs changed: ${changedCredentials.join(", ")}; secrets recreated: ${replacedSecrets.join(", ")}`,
    );
    const after = change.after?.(state) ?? [true, ""];
    const stillReady = notReady(state);
    check(
      `day 2, ${change.title}: everything ready again`,
      stillReady.length === 0 && after[0],
      [...stillReady, after[1]].join("\n"),
    );
  }
  const afterChanges = pulumi.run(["preview", "-s", stack, "--refresh", "--expect-no-changes"], {
    eventLog: true,
  });
  check(
    "after the day-2 changes, preview --refresh --expect-no-changes passes",
    afterChanges.status === 0,
    failure(afterChanges),
  );

  // 4. a bad config is refused before any resource: on the deployed stack and on a new one.
  await refusedConfig(pulumi, cluster);

  // 5. destroy leaves nothing of ours.
  const destroy = pulumi.run(["destroy", "-s", stack, "--yes", "--skip-preview"], { eventLog: true });
  check(
    `destroy succeeds (${count(ours(destroy.steps), "delete")} deleted)`,
    destroy.status === 0,
    failure(destroy),
  );
  const left = await leftovers(cluster);
  check("nothing of ours is left in the cluster, volumes included", left.length === 0, left.join("\n"));
  const remaining = pulumi.resources(stack);
  check("the stack's state is empty", remaining.length === 0, JSON.stringify(remaining));
}

/**
 * Kafka's principals: one user Job per principal, complete; their Secrets with the keys clients
 * reference; their generated passwords a secret stack output, alphanumeric and 32 long.
 */
async function kafkaUsers(
  pulumi: Pulumi,
  cluster: Cluster,
  state: Workloads,
  output: unknown,
): Promise<void> {
  const incomplete = kafkaPrincipals.filter(
    (principal) => (state.jobs[`kafka-user-${principal}`]?.succeeded ?? 0) < 1,
  );
  check(
    `a user Job per Kafka principal, each complete (${kafkaPrincipals.join(", ")})`,
    incomplete.length === 0,
    `incomplete: ${incomplete.join(", ")}; jobs: ${Object.keys(state.jobs).join(", ")}`,
  );
  const problems: string[] = [];
  for (const principal of ["admin", ...kafkaPrincipals]) {
    const secret = await cluster.api(
      "GET",
      `/api/v1/namespaces/${namespace}/secrets/kafka-user-${principal}`,
    );
    const keys = Object.keys(secret.body?.data ?? {}).sort();
    const wanted = ["password", "sasl.jaas.config", "username"];
    if (secret.status !== 200 || wanted.some((key) => !keys.includes(key)))
      problems.push(`kafka-user-${principal}: ${secret.status} ${keys.join(",")}`);
  }
  check(
    "each principal's Secret kafka-user-<name> holds username, password and sasl.jaas.config",
    problems.length === 0,
    problems.join("\n"),
  );
  const credentials = (output ?? {}) as KafkaCredentials;
  const principals = Object.keys(credentials).sort();
  // Without --show-secrets the output is masked: it is a secret in the state.
  const hidden = pulumi.run(["stack", "output", "-s", stack, "--json"]);
  const hiddenValue = (text: string): unknown => {
    try {
      return (JSON.parse(text) as Record<string, unknown>)["kafkaCredentials"];
    } catch {
      return undefined;
    }
  };
  check(
    "kafkaCredentials (a secret output): the admin and each principal, generated alphanumeric passwords of 32",
    hiddenValue(hidden.stdout) === "[secret]" &&
      JSON.stringify(principals) === JSON.stringify(["admin", ...kafkaPrincipals].sort()) &&
      Object.entries(credentials).every(
        ([name, credential]) => credential.username === name && /^[A-Za-z0-9]{32}$/.test(credential.password),
      ),
    `${JSON.stringify(principals)}; without --show-secrets: ${String(hiddenValue(hidden.stdout)).slice(0, 100)}`,
  );
}

/** The namespace enforces a Pod Security level, the admission plugin is live, and it admitted every pod. */
async function podSecurity(cluster: Cluster, state: Workloads): Promise<void> {
  const ns = await cluster.api("GET", `/api/v1/namespaces/${namespace}`);
  const level = ns.body?.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
  check(
    `the namespace enforces Pod Security level "${level}"`,
    level === "restricted",
    JSON.stringify(ns.body?.metadata?.labels),
  );
  // Can fail: a privileged pod is refused in the same namespace (server-side dry run: nothing is created).
  const privileged = await cluster.api("POST", `/api/v1/namespaces/${namespace}/pods?dryRun=All`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "pod-security-probe" },
    spec: { containers: [{ name: "probe", image: waitImage, securityContext: { privileged: true } }] },
  });
  check(
    "PodSecurity admission is live: a privileged pod is refused in the namespace",
    privileged.status === 403 && /violates PodSecurity/.test(JSON.stringify(privileged.body)),
    `${privileged.status} ${JSON.stringify(privileged.body).slice(0, 300)}`,
  );
  // `restricted`, not only `baseline`: a pod that baseline admits (no privilege, but root, no seccomp
  // profile, capabilities kept) is refused too.
  const baselineOnly = await cluster.api("POST", `/api/v1/namespaces/${namespace}/pods?dryRun=All`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "pod-security-baseline-probe" },
    spec: { containers: [{ name: "probe", image: "busybox:1.36" }] },
  });
  check(
    "…and so is a pod that only meets baseline (root, escalation allowed, capabilities kept, no seccomp)",
    baselineOnly.status === 403 &&
      /violates PodSecurity "restricted/.test(String(baselineOnly.body?.message)),
    `${baselineOnly.status} ${JSON.stringify(baselineOnly.body).slice(0, 300)}`,
  );
  // Every pod the controllers wanted was admitted: no FailedCreate event, and every replica has its pod.
  const events = await cluster.api("GET", `/api/v1/namespaces/${namespace}/events`);
  const refused = ((events.body?.items ?? []) as { reason: string; message: string }[]).filter(
    (event) => event.reason === "FailedCreate",
  );
  const wanted =
    Object.values(state.statefulSets).reduce((sum, set) => sum + set.replicas, 0) +
    Object.values(state.deployments).reduce((sum, deployment) => sum + deployment.replicas, 0);
  const running = state.pods.filter((pod) => pod.phase === "Running").length;
  check(
    `the namespace's Pod Security level admitted every pod (${running} running for ${wanted} replicas, no FailedCreate)`,
    refused.length === 0 && running === wanted,
    refused.map((event) => event.message).join("\n"),
  );
}

/**
 * NetworkPolicies, PodDisruptionBudgets and service-account tokens as the API server holds them (kwok
 * runs no network plugin, so the policies are checked as objects, not enforced).
 */
async function isolation(pulumi: Pulumi, cluster: Cluster, state: Workloads): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const list = async (apiPath: string): Promise<any[]> =>
    (await cluster.api("GET", apiPath)).body?.items ?? [];
  const policies = await list(`/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`);
  const names = new Set(policies.map((policy) => policy.metadata.name as string));
  const inState = pulumi
    .resources(stack)
    .filter((resource) => resource.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
  const expected = [
    "default-deny",
    "allow-dns",
    "kafka-to-zookeeper",
    "zookeeper-from-kafka",
    "zookeeper-to-zookeeper",
    "kafka-to-kafka",
    "schema-registry-to-kafka",
    "topic-users-created-to-kafka",
    "kafka-user-producer-to-kafka",
    "kafka-from-kafka-user-producer",
    "producer-to-kafka",
    "kafka-from-producer",
    "users-stream-to-kafka",
    "users-stream-to-cassandra",
    "users-stream-to-spark-worker",
    "users-stream-from-spark-worker",
    "spark-master-to-spark-worker",
    "cassandra-to-cassandra",
    "airflow-scheduler-to-airflow-postgres",
    "airflow-scheduler-to-kubernetes-api",
  ];
  const missing = expected.filter((name) => !names.has(name));
  const deny = policies.find((policy) => policy.metadata.name === "default-deny");
  check(
    `${policies.length} NetworkPolicies exist (${inState.length} in the state): default deny (ingress and egress), DNS and each flow`,
    missing.length === 0 &&
      policies.length === inState.length &&
      JSON.stringify(deny?.spec.podSelector) === "{}" &&
      JSON.stringify([...(deny?.spec.policyTypes ?? [])].sort()) === '["Egress","Ingress"]',
    `missing: ${missing.join(", ")}; live: ${[...names].sort().join(", ")}`,
  );

  // The disruption controller counts the pods each budget selects: the selectors match the replicas.
  const replicated = {
    ...Object.fromEntries(Object.entries(state.statefulSets).map(([name, set]) => [name, set.replicas])),
    ...Object.fromEntries(
      Object.entries(state.deployments).map(([name, deployment]) => [name, deployment.replicas]),
    ),
  };
  const wanted = Object.entries(replicated)
    .filter(([, replicas]) => replicas > 1)
    .map(([name]) => name)
    .sort();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let budgets: any[] = [];
  const budgetProblems = () => {
    const problems = wanted.filter((name) => {
      const budget = budgets.find((candidate) => candidate.metadata.name === name);
      return (
        budget?.spec.maxUnavailable !== 1 ||
        budget?.status?.expectedPods !== replicated[name] ||
        budget?.status?.disruptionsAllowed !== 1
      );
    });
    if (budgets.length !== wanted.length)
      problems.push(`${budgets.length} budgets for ${wanted.length} services`);
    return problems;
  };
  for (let attempt = 0; attempt < 30; attempt++) {
    budgets = await list(`/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`);
    if (budgetProblems().length === 0) break;
    await sleep(1000);
  }
  check(
    `a PodDisruptionBudget (maxUnavailable 1) for each service with more than one replica (${wanted.join(", ")}), counting its pods and allowing one disruption`,
    wanted.length >= 4 && budgetProblems().length === 0,
    `${budgetProblems().join(", ")}
${JSON.stringify(budgets.map((budget) => [budget.metadata.name, budget.spec, budget.status?.expectedPods]))}`,
  );

  // Only the scheduler (it starts the producer's pods) gets a service-account token.
  const pods = await list(`/api/v1/namespaces/${namespace}/pods`);
  const withToken = pods
    .filter((pod) =>
      (pod.spec.volumes ?? []).some(
        (volume: { projected?: { sources?: { serviceAccountToken?: unknown }[] } }) =>
          (volume.projected?.sources ?? []).some((source) => source.serviceAccountToken),
      ),
    )
    .map((pod) => pod.metadata.labels?.["app.kubernetes.io/instance"] as string);
  const producerAccount = await cluster.api(
    "GET",
    `/api/v1/namespaces/${namespace}/serviceaccounts/producer`,
  );
  check(
    `a service-account token is mounted only in the scheduler's pod (${withToken.join(", ") || "none"}); the producer's ServiceAccount mounts none`,
    withToken.length === 1 &&
      withToken[0] === "airflow-scheduler" &&
      producerAccount.body?.automountServiceAccountToken === false,
    `${pods.length} pods; producer account: ${producerAccount.status} ${JSON.stringify(producerAccount.body?.automountServiceAccountToken)}`,
  );
}

async function refusedConfig(pulumi: Pulumi, cluster: Cluster): Promise<void> {
  const before = pulumi.resources(stack).length;
  pulumi.configSet(stack, "kafka.brokers", "0");
  const refused = pulumi.run(["up", "-s", stack, "--yes", "--skip-preview"], { eventLog: true });
  const message = "data-pipeline:kafka.brokers = 0 is not allowed: expected an integer from 1 to 99";
  check(
    "a bad config (kafka.brokers 0) on the deployed stack: up fails naming key, value and what is allowed",
    refused.status !== 0 && refused.output.includes(message),
    failure(refused),
  );
  check(
    "…and touches no resource",
    ours(refused.steps).filter((step) => step.op !== "same").length === 0 &&
      pulumi.resources(stack).length === before,
    describe(ours(refused.steps)),
  );
  pulumi.configSet(stack, "kafka.brokers", "4");

  // A new stack with a bad config creates nothing at all.
  const fresh = "refused";
  const init = pulumi.run(["stack", "init", fresh]);
  if (init.status !== 0) throw new Error(`Unable to init ${fresh}: ${init.output}`);
  const copy = path.join(path.dirname(path.dirname(cluster.kubeconfig)), "checkout", "stacks");
  fs.copyFileSync(path.join(copy, "Pulumi.staging.yaml"), path.join(copy, `Pulumi.${fresh}.yaml`));
  pulumi.configSet(fresh, "kubernetes.namespace", "data-pipeline-refused");
  pulumi.configSet(fresh, "images.airflow", "registry.example.com/airflow:latest");
  const attempt = pulumi.run(["up", "-s", fresh, "--yes", "--skip-preview"], { eventLog: true });
  check(
    "a bad config (images.airflow …:latest) on a new stack: up fails naming key, value and what is allowed",
    attempt.status !== 0 &&
      attempt.output.includes(
        'data-pipeline:images.airflow = "registry.example.com/airflow:latest" is not allowed',
      ) &&
      attempt.output.includes("never latest"),
    failure(attempt),
  );
  const namespaceLeft = await cluster.api("GET", "/api/v1/namespaces/data-pipeline-refused");
  const state = pulumi.resources(fresh).filter((resource) => !resource.type.startsWith("pulumi:"));
  check(
    "…and creates nothing (no resource in its state, no namespace in the cluster)",
    ours(attempt.steps).length === 0 && state.length === 0 && namespaceLeft.status === 404,
    `${describe(ours(attempt.steps))}\n${JSON.stringify(state)}\nnamespace: ${namespaceLeft.status}`,
  );
  pulumi.run(["stack", "rm", fresh, "--yes", "--force"]);
}

/** Objects of ours left after destroy: the namespace, anything labelled part-of data-pipeline, volumes. */
async function leftovers(cluster: Cluster): Promise<string[]> {
  const left: string[] = [];
  for (let attempt = 0; attempt < 60; attempt++) {
    left.length = 0;
    const ns = await cluster.api("GET", `/api/v1/namespaces/${namespace}`);
    if (ns.status !== 404) left.push(`namespace ${namespace} (${ns.body?.status?.phase})`);
    const volumes = await cluster.api("GET", "/api/v1/persistentvolumes");
    for (const volume of volumes.body?.items ?? [])
      left.push(`PersistentVolume ${volume.metadata.name} (${volume.status?.phase})`);
    const selector = encodeURIComponent("app.kubernetes.io/part-of=data-pipeline");
    for (const kind of [
      "/api/v1/pods",
      "/api/v1/persistentvolumeclaims",
      "/api/v1/secrets",
      "/api/v1/services",
      "/apis/apps/v1/statefulsets",
      "/apis/networking.k8s.io/v1/networkpolicies",
      "/apis/policy/v1/poddisruptionbudgets",
    ]) {
      const list = await cluster.api("GET", `${kind}?labelSelector=${selector}`);
      for (const item of list.body?.items ?? [])
        left.push(`${kind} ${item.metadata.namespace}/${item.metadata.name}`);
    }
    if (left.length === 0) break;
    await sleep(1000);
  }
  return left;
}

main()
  .catch((error: unknown) => {
    check(
      "the tier ran to the end",
      false,
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
  });
