/**
 * Pure functions that turn the connections of the neutral model into NetworkPolicies: a default deny
 * (ingress and egress) for every pod of the namespace, DNS for everyone, and for each flow a pair of
 * policies, one on each end: `<source>-to-<service>` (egress from the source) and
 * `<service>-from-<source>` (ingress into the service). Both ends must allow a connection, so a pair
 * allows exactly one flow. Flows come from the specs: each dependency's probe port (the init
 * container waits for it, the workload then uses it) and `connectsTo` (opened by the workload, or by
 * its code in another service: `from`).
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PortSelector, WorkloadSpecBase } from "../../components/spec";
import type { TaskContainerSpec } from "../../components/target";
import type { KubernetesRenderContext } from "./render";

type NetworkPolicy = k8s.types.input.networking.v1.NetworkPolicy;
type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

/** One end of a flow: a name for policy names and the labels that select its pods. */
export interface FlowEnd {
  readonly name: string;
  readonly selector: Readonly<Record<string, string>>;
}

/** A flow the pipeline needs: `from` opens TCP connections to `to` on `ports`. */
export interface NetworkFlow {
  readonly from: FlowEnd;
  readonly to: FlowEnd;
  readonly ports: readonly PortSelector[];
}

/** The pods of a service, by the instance label every workload's pods carry (its service name). */
export function serviceEnd(serviceName: string): FlowEnd {
  return { name: serviceName, selector: { "app.kubernetes.io/instance": serviceName } };
}

/** The containers an orchestrator starts, by the component name their runner labels them with. */
export function taskEnd(task: TaskContainerSpec): FlowEnd {
  return {
    name: task.component,
    selector: { "app.kubernetes.io/name": task.component, "app.kubernetes.io/part-of": "data-pipeline" },
  };
}

/** Merges flows with the same ends into one, ports in first-seen order without repeats. */
function merged(flows: readonly NetworkFlow[]): NetworkFlow[] {
  const byEnds = new Map<string, NetworkFlow>();
  for (const flow of flows) {
    const key = `${flow.from.name}->${flow.to.name}`;
    const existing = byEnds.get(key);
    const ports = [...(existing?.ports ?? []), ...flow.ports];
    const unique = ports.filter(
      (port, index) => ports.findIndex((other) => JSON.stringify(other) === JSON.stringify(port)) === index,
    );
    byEnds.set(key, { from: flow.from, to: flow.to, ports: unique });
  }
  return [...byEnds.values()];
}

/** Every flow one workload's spec declares or implies. */
export function workloadFlows(spec: WorkloadSpecBase): NetworkFlow[] {
  const self = serviceEnd(spec.name);
  return merged([
    ...(spec.dependsOn ?? [])
      .filter((dependency) => dependency.workload.probePort !== undefined)
      .map((dependency) => ({
        from: self,
        to: serviceEnd(dependency.workload.name),
        ports: [dependency.workload.probePort as number],
      })),
    ...(spec.connectsTo ?? []).map((connection) => ({
      from: connection.from !== undefined ? serviceEnd(connection.from) : self,
      to: serviceEnd(connection.service),
      ports: connection.ports,
    })),
  ]);
}

/** The flows of a container an orchestrator starts. */
export function taskFlows(task: TaskContainerSpec): NetworkFlow[] {
  return merged(
    task.connectsTo.map((connection) => ({
      from: taskEnd(task),
      to: serviceEnd(connection.service),
      ports: connection.ports,
    })),
  );
}

/** TCP ports of a policy rule; a range becomes `port` .. `endPort`. */
export function policyPorts(ports: readonly PortSelector[]): NetworkPolicyPort[] {
  return ports.map((port) =>
    typeof port === "number"
      ? { protocol: "TCP", port }
      : { protocol: "TCP", port: port.from, endPort: port.to },
  );
}

const policyLabels = {
  "app.kubernetes.io/part-of": "data-pipeline",
  "app.kubernetes.io/managed-by": "pulumi",
};

function policy(name: string, context: KubernetesRenderContext, spec: NetworkPolicy["spec"]): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: context.namespace, labels: policyLabels },
    spec,
  };
}

/** `<source>-to-<service>` and `<service>-from-<source>`: the two halves of one flow. */
export function flowPolicies(flow: NetworkFlow, context: KubernetesRenderContext): NetworkPolicy[] {
  const ports = policyPorts(flow.ports);
  return [
    policy(`${flow.from.name}-to-${flow.to.name}`, context, {
      podSelector: { matchLabels: { ...flow.from.selector } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: { ...flow.to.selector } } }], ports }],
    }),
    policy(`${flow.to.name}-from-${flow.from.name}`, context, {
      podSelector: { matchLabels: { ...flow.to.selector } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: { ...flow.from.selector } } }], ports }],
    }),
  ];
}

/** No pod of the namespace sends or receives anything a policy does not allow. */
export function defaultDenyPolicy(context: KubernetesRenderContext): NetworkPolicy {
  return policy("default-deny", context, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
}

/** Every pod may resolve names with the cluster DNS (kube-dns in kube-system, UDP and TCP 53). */
export function dnsPolicy(context: KubernetesRenderContext): NetworkPolicy {
  return policy("allow-dns", context, {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ],
  });
}

/**
 * The API server ports: 443 is the `kubernetes` Service's port, 6443 the usual port of its endpoints
 * (most network plugins match egress after the Service address is translated to an endpoint).
 */
export const apiServerPorts = [443, 6443] as const;

/**
 * A workload with a platform identity calls the API server (the Airflow scheduler starts pods):
 * `<service>-to-kubernetes-api`, egress to `apiServerCidr` on {@link apiServerPorts}. The API server
 * is not a pod of the namespace, so it is named by address.
 */
export function apiServerPolicy(
  spec: WorkloadSpecBase,
  apiServerCidr: string,
  context: KubernetesRenderContext,
): NetworkPolicy {
  return policy(`${spec.name}-to-kubernetes-api`, context, {
    podSelector: { matchLabels: { ...serviceEnd(spec.name).selector } },
    policyTypes: ["Egress"],
    egress: [{ to: [{ ipBlock: { cidr: apiServerCidr } }], ports: policyPorts(apiServerPorts) }],
  });
}
