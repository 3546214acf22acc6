/**
 * KubernetesTarget: realizes the neutral workload model as Kubernetes objects in one namespace.
 *
 * - Stateful services become a StatefulSet with a headless Service (per-pod DNS) plus a ClusterIP
 *   Service; stateless ones a Deployment plus a Service. Jobs become batch/v1 Jobs.
 * - Health checks become readiness, liveness and startup probes; start ordering uses Pulumi's await
 *   (a StatefulSet is ready, a Job complete) and init containers that wait for each dependency's port.
 * - Secrets referenced by env values become Secret objects; pod specs hold only references.
 * - Images built from a local Dockerfile are pushed to the stack's image registry.
 * - Secure by default: the namespace enforces the `restricted` Pod Security level (every pod is
 *   rendered to pass it); a default-deny NetworkPolicy plus a pair of policies per flow the specs
 *   declare (infra/kubernetes/network.ts); a PodDisruptionBudget per service with more than one
 *   replica; service-account tokens only in pods that call the API. Each can be turned off.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ImageBuildSpec, JobSpec, ServiceSpec, Workload, WorkloadSpecBase } from "../../components/spec";
import { isSecretValue, standardLabels } from "../../components/spec";
import type { ContainerLauncher, Target, TaskContainerSpec } from "../../components/target";
import { buildImage } from "../docker/image";
import { NetworkPolicies } from "./network-policies";
import type { KubernetesRenderContext } from "./render";
import {
  podLauncherRbac,
  replicaDnsName,
  serviceDnsName,
  toConfigMap,
  toDeployment,
  toHeadlessService,
  toJob,
  toPodDisruptionBudget,
  toService,
  toClaimSizePatches,
  toStatefulSet,
  volumeClaimSizePath,
} from "./render";

/** Arguments of {@link KubernetesTarget}. */
export interface KubernetesTargetArgs {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Create the namespace (otherwise it must exist). @default true */
  readonly createNamespace?: boolean;
  /** Storage class of persistent volume claims. @default the cluster's default class */
  readonly storageClass?: string;
  /** Cluster DNS domain. @default "cluster.local" */
  readonly clusterDomain?: string;
  /** Registry that built images are pushed to and pulled from (required to build images). @default undefined */
  readonly imageRegistry?: string;
  /**
   * PEM CA bundle handed to every image build as the BuildKit secret `ca-bundle` (stack config
   * `data-pipeline:buildCaBundle`): the CAs npm, pip and Maven trust inside the builds, e.g. behind a
   * TLS-intercepting proxy. A secret mount, never an image layer. @default undefined (no secret)
   */
  readonly buildCaBundle?: pulumi.Input<string>;
  /** Explicit Kubernetes provider (kubeconfig/context). @default the default provider */
  readonly provider?: k8s.Provider;
  /**
   * The Pod Security Standards level the namespace enforces (when it is created here); `restricted`
   * is always warned about and audited, and every pod is rendered to pass it. @default "restricted"
   */
  readonly podSecurity?: "restricted" | "baseline";
  /**
   * Isolate pods with NetworkPolicies: deny everything by default, allow DNS and each flow the
   * workloads declare. Needs a network plugin that enforces them. @default true
   */
  readonly networkPolicies?: boolean;
  /** A PodDisruptionBudget (`maxUnavailable: 1`) for each service with more than one replica. @default true */
  readonly podDisruptionBudgets?: boolean;
  /**
   * Addresses of the API server, for the egress policy of pods that call it (the Airflow scheduler).
   * Narrow it to your control plane's address range where you know it. @default "0.0.0.0/0"
   */
  readonly apiServerCidr?: string;
}

/** Realizes workloads as Kubernetes objects. */
export class KubernetesTarget extends pulumi.ComponentResource implements Target {
  public readonly kind = "kubernetes";
  public readonly publishesHostPorts = false;
  /** The namespace every object lives in. */
  public readonly namespace: pulumi.Output<string>;
  private readonly context: KubernetesRenderContext;
  private readonly imageRegistry: string | undefined;
  private readonly buildCaBundle: pulumi.Input<string> | undefined;
  private readonly namespaceResource: k8s.core.v1.Namespace | undefined;
  private readonly secretKeys = new Map<string, Set<string>>();
  private launcher: ContainerLauncher | undefined;
  private readonly secretResources = new Map<string, k8s.core.v1.Secret>();
  private readonly podDisruptionBudgets: boolean;
  /** The NetworkPolicies, when pods are isolated. */
  private readonly policies: NetworkPolicies | undefined;
  private readonly taskAccounts = new Map<string, k8s.core.v1.ServiceAccount>();

  constructor(name: string, args: KubernetesTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "data-pipeline:kubernetes:KubernetesTarget",
      name,
      {},
      {
        ...opts,
        ...(args.provider ? { providers: [args.provider] } : {}),
      },
    );
    this.context = {
      namespace: args.namespace,
      clusterDomain: args.clusterDomain ?? "cluster.local",
      ...(args.storageClass ? { storageClass: args.storageClass } : {}),
    };
    this.imageRegistry = args.imageRegistry;
    this.buildCaBundle = args.buildCaBundle;
    const podSecurity = args.podSecurity ?? "restricted";
    this.podDisruptionBudgets = args.podDisruptionBudgets ?? true;
    if (args.createNamespace ?? true) {
      this.namespaceResource = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        {
          metadata: {
            name: args.namespace,
            labels: {
              "app.kubernetes.io/part-of": "data-pipeline",
              "pod-security.kubernetes.io/enforce": podSecurity,
              "pod-security.kubernetes.io/warn": "restricted",
              "pod-security.kubernetes.io/audit": "restricted",
            },
          },
        },
        { parent: this },
      );
    }
    this.policies =
      (args.networkPolicies ?? true)
        ? new NetworkPolicies(this, this.context, args.apiServerCidr ?? "0.0.0.0/0", this.namespaceResource)
        : undefined;
    this.namespace = pulumi.output(args.namespace);
    this.registerOutputs({ namespace: this.namespace });
  }

  public serviceHost(serviceName: string): string {
    return serviceDnsName(serviceName, this.context);
  }

  public replicaHost(serviceName: string, ordinal: number): string {
    return replicaDnsName(serviceName, ordinal, this.context);
  }

  public deployService(spec: ServiceSpec, parent: pulumi.Resource): Workload {
    for (const port of spec.ports ?? []) {
      if (port.publish) {
        pulumi.log.warn(
          `KubernetesTarget: ${spec.component} port "${port.name}" publish to host port ${port.publish.hostPort} is not honoured on Kubernetes; use the Service DNS name or \`kubectl port-forward\`.`,
          parent,
        );
      }
    }
    this.warnWithoutResources(spec, parent);
    const opts = this.options(spec, parent);
    const extras = [...this.supporting(spec, parent), ...(this.policies?.forWorkload(spec, parent) ?? [])];
    const created: pulumi.Resource[] = [];
    if (spec.stateful) {
      created.push(
        new k8s.core.v1.Service(`${spec.name}-headless`, toHeadlessService(spec, this.context), opts(extras)),
      );
      const statefulSet = new k8s.apps.v1.StatefulSet(spec.name, toStatefulSet(spec, this.context), {
        ...opts([...extras, ...created]),
        ignoreChanges: [volumeClaimSizePath],
      });
      created.push(statefulSet);
      // After the StatefulSet is ready its claims exist; they are patched, never deleted (retained:
      // deleting the namespace or the claims removes them).
      for (const patch of toClaimSizePatches(spec, this.context)) {
        created.push(
          new k8s.core.v1.PersistentVolumeClaimPatch(patch.resourceName, patch.args, {
            ...opts([statefulSet]),
            retainOnDelete: true,
          }),
        );
      }
    } else {
      created.push(new k8s.apps.v1.Deployment(spec.name, toDeployment(spec, this.context), opts(extras)));
    }
    const budget = this.podDisruptionBudgets ? toPodDisruptionBudget(spec, this.context) : undefined;
    if (budget) {
      created.push(new k8s.policy.v1.PodDisruptionBudget(spec.name, budget, opts([])));
    }
    // A Service needs at least one port; a process without ports (scheduler, ...) gets none.
    if ((spec.ports ?? []).length > 0) {
      created.push(
        new k8s.core.v1.Service(`${spec.name}-service`, toService(spec, this.context), opts(extras)),
      );
    }
    const firstPort = spec.ports?.[0]?.containerPort;
    return {
      name: spec.name,
      kind: "service",
      ...(firstPort !== undefined ? { probePort: firstPort } : {}),
      resources: created,
    };
  }

  public runJob(spec: JobSpec, parent: pulumi.Resource): Workload {
    this.warnWithoutResources(spec, parent);
    const extras = [...this.supporting(spec, parent), ...(this.policies?.forWorkload(spec, parent) ?? [])];
    const job = new k8s.batch.v1.Job(
      spec.name,
      toJob(spec, this.context),
      this.options(spec, parent)(extras),
    );
    return { name: spec.name, kind: "job", resources: [job] };
  }

  /**
   * A ServiceAccount whose Role only manages pods (and reads their logs and events) in this namespace;
   * the orchestrator runs as it and starts one pod per task (KubernetesPodOperator).
   */
  public containerLauncher(
    parent: pulumi.Resource,
    tasks: readonly TaskContainerSpec[] = [],
  ): ContainerLauncher {
    void parent;
    const taskVariables = this.taskContainers(tasks);
    if (!this.launcher) {
      const name = "pod-launcher";
      const rbac = podLauncherRbac(name, this.context);
      const dependsOn = this.namespaceResource ? [this.namespaceResource] : [];
      const serviceAccount = new k8s.core.v1.ServiceAccount(name, rbac.serviceAccount, {
        parent: this,
        dependsOn,
      });
      const role = new k8s.rbac.v1.Role(name, rbac.role, { parent: this, dependsOn });
      const binding = new k8s.rbac.v1.RoleBinding(name, rbac.roleBinding, {
        parent: this,
        dependsOn: [...dependsOn, serviceAccount, role],
      });
      this.launcher = {
        variables: {
          PIPELINE_TARGET: "kubernetes",
          KUBERNETES_NAMESPACE: this.context.namespace,
          ...taskVariables,
        },
        serviceAccount: name,
        dependency: { name, kind: "job", resources: [serviceAccount, role, binding] },
        secretsByName: true,
      };
    }
    return { ...this.launcher, variables: { ...this.launcher.variables, ...taskVariables } };
  }

  /**
   * Per task container: a ServiceAccount that mounts no token (the container never calls the API;
   * the orchestrator names it through `<COMPONENT>_SERVICE_ACCOUNT`) and the policies of its flows.
   */
  private taskContainers(tasks: readonly TaskContainerSpec[]): Record<string, string> {
    const variables: Record<string, string> = {};
    const dependsOn = this.namespaceResource ? [this.namespaceResource] : [];
    for (const task of tasks) {
      if (!this.taskAccounts.has(task.component)) {
        this.taskAccounts.set(
          task.component,
          new k8s.core.v1.ServiceAccount(
            task.component,
            {
              metadata: {
                name: task.component,
                namespace: this.context.namespace,
                labels: {
                  "app.kubernetes.io/part-of": "data-pipeline",
                  "app.kubernetes.io/managed-by": "pulumi",
                },
              },
              automountServiceAccountToken: false,
            },
            { parent: this, dependsOn },
          ),
        );
        this.policies?.forTask(task);
      }
      variables[`${task.component.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_SERVICE_ACCOUNT`] =
        task.component;
    }
    return variables;
  }

  public buildImage(spec: ImageBuildSpec, parent: pulumi.Resource): pulumi.Output<string> {
    if (!this.imageRegistry) {
      throw new pulumi.ResourceError(
        `Unable to build image ${spec.name}: the Kubernetes target needs a registry to push it to. Set data-pipeline:kubernetes.imageRegistry.`,
        parent,
      );
    }
    return buildImage(
      spec,
      {
        registry: this.imageRegistry,
        ...(this.buildCaBundle !== undefined ? { caBundle: this.buildCaBundle } : {}),
      },
      parent,
    );
  }

  /** Resource options: parent, and dependencies on the namespace, supporting objects and dependency workloads. */
  private options(spec: WorkloadSpecBase, parent: pulumi.Resource) {
    const dependencies = (spec.dependsOn ?? []).flatMap((dependency) => [...dependency.workload.resources]);
    return (extra: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
      parent,
      dependsOn: [...(this.namespaceResource ? [this.namespaceResource] : []), ...dependencies, ...extra],
    });
  }

  /** The ConfigMap of mounted files and the Secrets that env values reference. */
  private supporting(spec: WorkloadSpecBase, parent: pulumi.Resource): pulumi.Resource[] {
    const namespaceDependency = this.namespaceResource ? [this.namespaceResource] : [];
    const created: pulumi.Resource[] = [];
    if ((spec.configFiles ?? []).length > 0) {
      created.push(
        new k8s.core.v1.ConfigMap(`${spec.name}-files`, toConfigMap(spec, this.context), {
          parent,
          dependsOn: namespaceDependency,
        }),
      );
    }
    const secretKeys = new Map<string, Map<string, pulumi.Input<string>>>();
    for (const value of Object.values(spec.env ?? {})) {
      if (!isSecretValue(value)) continue;
      const keys = secretKeys.get(value.secret.secretName) ?? new Map<string, pulumi.Input<string>>();
      keys.set(value.secret.key, value.secret.value);
      secretKeys.set(value.secret.secretName, keys);
    }
    for (const [secretName, keys] of secretKeys) {
      const existing = this.secretResources.get(secretName);
      if (existing) {
        const known = this.secretKeys.get(secretName) ?? new Set<string>();
        const missing = [...keys.keys()].filter((key) => !known.has(key));
        if (missing.length > 0) {
          throw new pulumi.ResourceError(
            `Unable to render ${spec.component} "${spec.name}": secret ${secretName} was first created without key(s) ${missing.join(", ")}. Reference every key of a shared secret from the first workload that uses it.`,
            parent,
          );
        }
        created.push(existing);
        continue;
      }
      const secret = new k8s.core.v1.Secret(
        secretName,
        {
          metadata: { name: secretName, namespace: this.context.namespace, labels: standardLabels(spec) },
          type: "Opaque",
          stringData: pulumi.secret(Object.fromEntries(keys)),
        },
        { parent: this, dependsOn: namespaceDependency },
      );
      this.secretResources.set(secretName, secret);
      this.secretKeys.set(secretName, new Set(keys.keys()));
      created.push(secret);
    }
    return [...new Set(created)];
  }

  private warnWithoutResources(spec: WorkloadSpecBase, parent: pulumi.Resource): void {
    const resources = spec.resources;
    if (!resources || resources.memoryLimitMiB === undefined || resources.memoryRequestMiB === undefined) {
      pulumi.log.warn(
        `KubernetesTarget: ${spec.component} "${spec.name}" has no memory request/limit; the pod is scheduled best-effort.`,
        parent,
      );
    }
  }
}
