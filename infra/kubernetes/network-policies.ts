/**
 * NetworkPolicies as Pulumi resources: the namespace's default deny and DNS policies when created, and
 * each workload's and task container's flow policies (rendered by ./network.ts) as they are deployed.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadSpecBase } from "../../components/spec";
import type { TaskContainerSpec } from "../../components/target";
import type { NetworkFlow } from "./network";
import {
  apiServerPolicy,
  defaultDenyPolicy,
  dnsPolicy,
  flowPolicies,
  taskFlows,
  workloadFlows,
} from "./network";
import type { KubernetesRenderContext } from "./render";

/** The NetworkPolicies of one namespace, each created once. */
export class NetworkPolicies {
  private readonly created = new Map<string, { resource: k8s.networking.v1.NetworkPolicy; spec: string }>();

  /** Creates the default deny and DNS policies (children of `owner`). */
  constructor(
    private readonly owner: pulumi.Resource,
    private readonly context: KubernetesRenderContext,
    private readonly apiServerCidr: string,
    private readonly namespace: pulumi.Resource | undefined,
  ) {
    for (const policy of [defaultDenyPolicy(context), dnsPolicy(context)]) this.policy(policy, owner);
  }

  /** The policies of a workload's flows, and its API server egress when it has a platform identity. */
  public forWorkload(spec: WorkloadSpecBase, parent: pulumi.Resource): pulumi.Resource[] {
    const created = this.forFlows(workloadFlows(spec), parent);
    if (spec.serviceAccount !== undefined) {
      created.push(this.policy(apiServerPolicy(spec, this.apiServerCidr, this.context), parent));
    }
    return created;
  }

  /** The policies of a task container's flows. */
  public forTask(task: TaskContainerSpec): pulumi.Resource[] {
    return this.forFlows(taskFlows(task), this.owner);
  }

  private forFlows(flows: readonly NetworkFlow[], parent: pulumi.Resource): pulumi.Resource[] {
    return flows.flatMap((flow) =>
      flowPolicies(flow, this.context).map((policy) => this.policy(policy, parent)),
    );
  }

  private policy(
    policy: k8s.types.input.networking.v1.NetworkPolicy,
    parent: pulumi.Resource,
  ): k8s.networking.v1.NetworkPolicy {
    const name = (policy.metadata as { name: string }).name;
    const spec = JSON.stringify(policy.spec);
    const existing = this.created.get(name);
    // The same flow declared by two workloads (two jobs on one Spark cluster) is one policy.
    if (existing?.spec === spec) return existing.resource;
    if (existing) {
      throw new pulumi.ResourceError(
        `Unable to render NetworkPolicy ${name}: two workloads declare the flow with different ports. Declare it once, with every port.`,
        parent,
      );
    }
    const resource = new k8s.networking.v1.NetworkPolicy(name, policy, {
      parent,
      dependsOn: this.namespace ? [this.namespace] : [],
    });
    this.created.set(name, { resource, spec });
    return resource;
  }
}
