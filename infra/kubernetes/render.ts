/**
 * Pure functions that turn the neutral workload model into Kubernetes object manifests.
 * Exported for unit tests without mocks; the target wraps them in @pulumi/kubernetes resources.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type {
  EnvironmentValue,
  HealthCheckProbe,
  HealthCheckSpec,
  JobSpec,
  ReplicaIdentity,
  ResourceSpec,
  ServiceSpec,
  WorkloadSpecBase,
} from "../../components/spec";
import { isPerReplicaValue, isSecretValue, standardLabels } from "../../components/spec";
import { versions } from "../../components/versions";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;

/** The image of the init container that waits for a dependency, at the version of versions.json (never `latest`). */
export const waitImage = `busybox:${versions.busybox}`;

/** Defaults shared with the Docker target. */
const probeDefaults = { intervalSeconds: 10, timeoutSeconds: 5, retries: 6, startPeriodSeconds: 60 };

/** Where the objects go and how names resolve. */
export interface KubernetesRenderContext {
  readonly namespace: string;
  /** @default "cluster.local" */
  readonly clusterDomain: string;
  /** Storage class for persistent volume claims. @default the cluster default */
  readonly storageClass?: string;
}

/** The headless Service of a StatefulSet (stable per-pod DNS names). */
export function headlessServiceName(serviceName: string): string {
  return `${serviceName}-headless`;
}

/** `<service>.<namespace>.svc.<domain>` */
export function serviceDnsName(serviceName: string, context: KubernetesRenderContext): string {
  return `${serviceName}.${context.namespace}.svc.${context.clusterDomain}`;
}

/** `<service>-<ordinal>.<service>-headless.<namespace>.svc.<domain>` */
export function replicaDnsName(
  serviceName: string,
  ordinal: number | string,
  context: KubernetesRenderContext,
): string {
  return `${serviceName}-${ordinal}.${headlessServiceName(serviceName)}.${context.namespace}.svc.${context.clusterDomain}`;
}

/**
 * The identity a StatefulSet pod computes at start: its ordinal is the suffix of `$HOSTNAME`
 * (`kafka-2` -> 2), evaluated by the start-up shell, so one pod template serves every replica.
 */
export function kubernetesReplicaIdentity(
  serviceName: string,
  context: KubernetesRenderContext,
): ReplicaIdentity {
  return {
    ordinal: "${ORDINAL}",
    offset: (n) => `$((ORDINAL+${n}))`,
    host: replicaDnsName(serviceName, "${ORDINAL}", context),
    publishedPort: () => undefined,
  };
}

/** Env vars: plain values inline, secrets by secretKeyRef. Per-replica values go to the start-up shell. */
export function environmentVariables(
  env: Readonly<Record<string, EnvironmentValue>> | undefined,
): k8s.types.input.core.v1.EnvVar[] {
  return Object.entries(env ?? {})
    .filter(([, value]) => !isPerReplicaValue(value))
    .map(([name, value]) => {
      if (isSecretValue(value)) {
        return {
          name,
          valueFrom: { secretKeyRef: { name: value.secret.secretName, key: value.secret.key } },
        };
      }
      return { name, value: value as pulumi.Input<string> };
    });
}

/**
 * Command and args for the container. When the spec has per-replica env values, the container starts
 * through `bash -c` that derives ORDINAL from the pod name, exports those values, then `exec`s the
 * image's own entrypoint with the original args.
 */
export function startupCommand(
  spec: WorkloadSpecBase,
  replica: ReplicaIdentity,
): { command?: string[]; args?: string[] } {
  const perReplica = Object.entries(spec.env ?? {}).filter(([, value]) => isPerReplicaValue(value));
  if (perReplica.length === 0) {
    return {
      ...(spec.command ? { command: [...spec.command] } : {}),
      ...(spec.args ? { args: [...spec.args] } : {}),
    };
  }
  const program = spec.command ?? spec.entrypoint;
  if (!program) {
    throw new Error(
      `Unable to render ${spec.component} "${spec.name}": per-replica env values need the image entrypoint. Set \`entrypoint\` in its spec.`,
    );
  }
  const exports = perReplica.map(([name, value]) => {
    const text = (value as { perReplica: (r: ReplicaIdentity) => string }).perReplica(replica);
    if (/["`\\]/.test(text)) {
      throw new Error(
        `Unable to render ${spec.component} env ${name}: per-replica values may not contain quotes or backslashes.`,
      );
    }
    return `export ${name}="${text}"`;
  });
  const script = ['ORDINAL="${HOSTNAME##*-}"', ...exports, 'exec "$@"'].join("; ");
  return { command: ["bash", "-c", script, spec.name], args: [...program, ...(spec.args ?? [])] };
}

function probeHandler(probe: HealthCheckProbe): Probe {
  switch (probe.kind) {
    case "command":
      return { exec: { command: [...probe.command] } };
    case "http":
      return { httpGet: { path: probe.path, port: probe.port } };
    case "tcp":
      return { tcpSocket: { port: probe.port } };
  }
}

/** Readiness, liveness and startup probes from one health check. */
export function probesFor(check: HealthCheckSpec): {
  readinessProbe: Probe;
  livenessProbe: Probe;
  startupProbe: Probe;
} {
  const period = check.intervalSeconds ?? probeDefaults.intervalSeconds;
  const timeout = check.timeoutSeconds ?? probeDefaults.timeoutSeconds;
  const retries = check.retries ?? probeDefaults.retries;
  const startPeriod = check.startPeriodSeconds ?? probeDefaults.startPeriodSeconds;
  const handler = probeHandler(check.probe);
  return {
    readinessProbe: { ...handler, periodSeconds: period, timeoutSeconds: timeout, failureThreshold: 3 },
    livenessProbe: { ...handler, periodSeconds: period, timeoutSeconds: timeout, failureThreshold: retries },
    startupProbe: {
      ...handler,
      periodSeconds: period,
      timeoutSeconds: timeout,
      failureThreshold: Math.ceil(startPeriod / period) + retries,
    },
  };
}

/** Requests and limits in Kubernetes quantities. */
export function resourceRequirements(
  resources: ResourceSpec | undefined,
): k8s.types.input.core.v1.ResourceRequirements {
  const quantities = (cpu: number | undefined, memoryMiB: number | undefined): Record<string, string> => ({
    ...(cpu !== undefined ? { cpu: `${Math.round(cpu * 1000)}m` } : {}),
    ...(memoryMiB !== undefined ? { memory: `${memoryMiB}Mi` } : {}),
  });
  return {
    requests: quantities(resources?.cpuRequest, resources?.memoryRequestMiB),
    limits: quantities(resources?.cpuLimit, resources?.memoryLimitMiB),
  };
}

/** The ConfigMap that holds a workload's mounted files, if it has any. */
export function configMapName(spec: WorkloadSpecBase): string {
  return `${spec.name}-files`;
}

/** Init containers that wait until each dependency answers on its port. */
export function waitForDependencies(spec: WorkloadSpecBase, context: KubernetesRenderContext): Container[] {
  return (spec.dependsOn ?? [])
    .filter((dependency) => dependency.workload.probePort !== undefined)
    .map((dependency) => {
      const host = serviceDnsName(dependency.workload.name, context);
      const port = dependency.workload.probePort as number;
      return {
        name: `wait-for-${dependency.workload.name}`,
        image: waitImage,
        command: [
          "sh",
          "-c",
          `until nc -z -w 2 ${host} ${port}; do echo "waiting for ${host}:${port}"; sleep 2; done`,
        ],
        securityContext: restrictedContainerSecurity(),
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
      };
    });
}

/** busybox's `nobody` (uid 65534): the wait needs no privileges and the image has no other user. */
const waitUser = 65534;

function restrictedContainerSecurity(): k8s.types.input.core.v1.SecurityContext {
  return { ...restrictedContainerDefaults, runAsUser: waitUser };
}

/**
 * What the Pod Security Standards' `restricted` level asks of every container (init containers
 * too): no privilege escalation, every capability dropped, a non-root user, seccomp RuntimeDefault
 * (also set for the whole pod).
 */
const restrictedContainerDefaults: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

/**
 * The pod's security context: seccomp RuntimeDefault and non-root always; the spec's user, group and
 * volume group (`fsGroup`: mounted volumes become writable for it) when it names one. Without
 * `runAs` the image's own numeric non-root user is required (the kubelet refuses to start it as root).
 */
export function podSecurityContext(spec: WorkloadSpecBase): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    ...(spec.runAs ? { runAsUser: spec.runAs.uid, runAsGroup: spec.runAs.gid, fsGroup: spec.runAs.gid } : {}),
  };
}

/** The pod template shared by StatefulSets, Deployments and Jobs. */
export function podSpec(
  spec: WorkloadSpecBase & Pick<ServiceSpec, "ports" | "volumes" | "healthCheck">,
  context: KubernetesRenderContext,
  restartPolicy: "Always" | "Never" | "OnFailure",
): PodSpec {
  const replica = kubernetesReplicaIdentity(spec.name, context);
  const files = spec.configFiles ?? [];
  const container: Container = {
    name: spec.component,
    image: spec.image,
    ...startupCommand(spec, replica),
    env: environmentVariables(spec.env),
    ports: (spec.ports ?? []).map((port) => ({
      name: port.name.slice(0, 15),
      containerPort: port.containerPort,
    })),
    resources: resourceRequirements(spec.resources),
    volumeMounts: [
      ...(spec.volumes ?? []).map((volume) => ({ name: volume.name, mountPath: volume.mountPath })),
      ...files.map((file) => ({
        name: "files",
        mountPath: file.mountPath,
        subPath: file.name,
        readOnly: true,
      })),
    ],
    ...(spec.healthCheck ? probesFor(spec.healthCheck) : {}),
    securityContext: { ...restrictedContainerDefaults },
  };
  return {
    restartPolicy,
    // Service links inject KAFKA_PORT-style variables that Confluent images reject as deprecated settings.
    enableServiceLinks: false,
    // Only a workload with a platform identity gets API credentials.
    automountServiceAccountToken: spec.serviceAccount !== undefined,
    ...(spec.serviceAccount ? { serviceAccountName: spec.serviceAccount } : {}),
    initContainers: waitForDependencies(spec, context),
    containers: [container],
    securityContext: podSecurityContext(spec),
    volumes: files.length > 0 ? [{ name: "files", configMap: { name: configMapName(spec) } }] : [],
  };
}

function metadata(name: string, spec: WorkloadSpecBase, context: KubernetesRenderContext) {
  return { name, namespace: context.namespace, labels: standardLabels(spec) };
}

function selectorLabels(spec: WorkloadSpecBase): Record<string, string> {
  return { "app.kubernetes.io/name": spec.component, "app.kubernetes.io/instance": spec.name };
}

/** A StatefulSet: stable identity and one PersistentVolumeClaim per replica and volume. */
export function toStatefulSet(
  spec: ServiceSpec,
  context: KubernetesRenderContext,
): k8s.types.input.apps.v1.StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: metadata(spec.name, spec, context),
    spec: {
      serviceName: headlessServiceName(spec.name),
      replicas: spec.replicas ?? 1,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: selectorLabels(spec) },
      template: { metadata: { labels: standardLabels(spec) }, spec: podSpec(spec, context, "Always") },
      volumeClaimTemplates: (spec.volumes ?? []).map((volume) => ({
        metadata: { name: volume.name, labels: selectorLabels(spec) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          ...(context.storageClass ? { storageClassName: context.storageClass } : {}),
          resources: { requests: { storage: volume.size } },
        },
      })),
    },
  };
}

/**
 * The StatefulSet field Pulumi leaves alone after creation: a StatefulSet's volumeClaimTemplates are
 * immutable, so a size change there would make Pulumi replace the StatefulSet (every pod down at
 * once) and still leave the existing claims at their old size. Sizes are applied to the claims
 * themselves instead ({@link toClaimSizePatches}).
 */
export const volumeClaimSizePath = "spec.volumeClaimTemplates[*].spec.resources.requests.storage";

/** One claim's wanted size: a server-side-apply patch of the claim the StatefulSet created. */
export interface ClaimSizePatch {
  /** The Pulumi resource name (`<service>-<volume>-<ordinal>-size`). */
  readonly resourceName: string;
  /** The arguments of a `PersistentVolumeClaimPatch`. */
  readonly args: {
    readonly metadata: { name: string; namespace: string; annotations: Record<string, string> };
    readonly spec: { resources: { requests: { storage: string } } };
  };
}

/**
 * A size patch for every claim of a stateful service (`<volume>-<service>-<ordinal>`, the names the
 * StatefulSet controller gives them): a larger size expands the claims in place (the storage class
 * must allow volume expansion); the StatefulSet and the data are untouched. The patch takes the
 * size field over from the controller that created the claim (`pulumi.com/patchForce`).
 */
export function toClaimSizePatches(spec: ServiceSpec, context: KubernetesRenderContext): ClaimSizePatch[] {
  const replicas = spec.replicas ?? 1;
  return (spec.volumes ?? []).flatMap((volume) =>
    Array.from({ length: replicas }, (_, ordinal) => ({
      resourceName: `${spec.name}-${volume.name}-${ordinal}-size`,
      args: {
        metadata: {
          name: `${volume.name}-${spec.name}-${ordinal}`,
          namespace: context.namespace,
          annotations: { "pulumi.com/patchForce": "true" },
        },
        spec: { resources: { requests: { storage: volume.size } } },
      },
    })),
  );
}

/**
 * A PodDisruptionBudget for a service with more than one replica: a voluntary disruption (a node
 * drain) takes at most one replica down at a time, so a three-server quorum keeps two. None for a
 * single replica, where it would block every drain.
 */
export function toPodDisruptionBudget(
  spec: ServiceSpec,
  context: KubernetesRenderContext,
): k8s.types.input.policy.v1.PodDisruptionBudget | undefined {
  if ((spec.replicas ?? 1) <= 1) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(spec.name, spec, context),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(spec) } },
  };
}

/** A Deployment for a stateless service. */
export function toDeployment(
  spec: ServiceSpec,
  context: KubernetesRenderContext,
): k8s.types.input.apps.v1.Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(spec.name, spec, context),
    spec: {
      replicas: spec.replicas ?? 1,
      selector: { matchLabels: selectorLabels(spec) },
      template: { metadata: { labels: standardLabels(spec) }, spec: podSpec(spec, context, "Always") },
    },
  };
}

/** The ClusterIP Service every client uses (`<service>` DNS name). */
export function toService(
  spec: ServiceSpec,
  context: KubernetesRenderContext,
): k8s.types.input.core.v1.Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(spec.name, spec, context),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(spec),
      ports: (spec.ports ?? []).map((port) => ({
        name: port.name,
        port: port.containerPort,
        targetPort: port.containerPort,
      })),
    },
  };
}

/** The headless Service that gives each StatefulSet pod its own DNS name, ready or not. */
export function toHeadlessService(
  spec: ServiceSpec,
  context: KubernetesRenderContext,
): k8s.types.input.core.v1.Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(headlessServiceName(spec.name), spec, context),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(spec),
      ports: (spec.ports ?? []).map((port) => ({
        name: port.name,
        port: port.containerPort,
        targetPort: port.containerPort,
      })),
    },
  };
}

/** A Job that runs to completion. */
export function toJob(spec: JobSpec, context: KubernetesRenderContext): k8s.types.input.batch.v1.Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(spec.name, spec, context),
    spec: {
      backoffLimit: spec.backoffLimit ?? 4,
      activeDeadlineSeconds: spec.timeoutSeconds ?? 600,
      template: { metadata: { labels: standardLabels(spec) }, spec: podSpec(spec, context, "Never") },
    },
  };
}

/** The ConfigMap holding a workload's mounted files. */
export function toConfigMap(
  spec: WorkloadSpecBase,
  context: KubernetesRenderContext,
): k8s.types.input.core.v1.ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata(configMapName(spec), spec, context),
    data: Object.fromEntries((spec.configFiles ?? []).map((file) => [file.name, file.content])),
  };
}

/** The ServiceAccount, Role and RoleBinding of a launcher that may only manage pods in its namespace. */
export function podLauncherRbac(
  name: string,
  context: KubernetesRenderContext,
): {
  serviceAccount: k8s.types.input.core.v1.ServiceAccount;
  role: k8s.types.input.rbac.v1.Role;
  roleBinding: k8s.types.input.rbac.v1.RoleBinding;
} {
  const labels = { "app.kubernetes.io/part-of": "data-pipeline", "app.kubernetes.io/managed-by": "pulumi" };
  const metadata = { name, namespace: context.namespace, labels };
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata,
      rules: [
        {
          apiGroups: [""],
          resources: ["pods"],
          verbs: ["create", "get", "list", "watch", "delete", "patch"],
        },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["list", "watch"] },
      ],
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: context.namespace }],
    },
  };
}
