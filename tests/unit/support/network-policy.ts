/**
 * Evaluates NetworkPolicies the way the networking.k8s.io/v1 API defines them, for pods of one
 * namespace: a pod selected by no policy of a type is open in that direction; a selected pod allows
 * only what some selecting policy's rules allow; a connection needs the source's egress and the
 * destination's ingress. Only `matchLabels` selectors (all the pipeline writes) are understood.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- policies as registered, untyped */

/** A pod by its labels. */
export interface PodLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

function selects(selector: any, labels: Readonly<Record<string, string>>): boolean {
  if (selector.matchExpressions) throw new Error("matchExpressions are not understood by this check");
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** A peer of a rule matches a pod of this namespace (an ipBlock may hold any pod's address). */
function peerMatches(peer: any, pod: PodLabels): boolean {
  if (peer.ipBlock) return true;
  if (peer.namespaceSelector) return false;
  return selects(peer.podSelector ?? {}, pod.labels);
}

function portMatches(rulePorts: any[] | undefined, port: number): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some(
    (rulePort) =>
      (rulePort.protocol ?? "TCP") === "TCP" &&
      (rulePort.endPort === undefined
        ? rulePort.port === port
        : rulePort.port <= port && port <= rulePort.endPort),
  );
}

function direction(
  policies: readonly any[],
  pod: PodLabels,
  type: "Ingress" | "Egress",
  peer: PodLabels,
  port: number,
) {
  const selecting = policies.filter(
    (policy) => policy.spec.policyTypes.includes(type) && selects(policy.spec.podSelector, pod.labels),
  );
  if (selecting.length === 0) return true;
  const rulesOf = (policy: any): any[] =>
    (type === "Ingress" ? policy.spec.ingress : policy.spec.egress) ?? [];
  const peersOf = (rule: any): any[] | undefined => (type === "Ingress" ? rule.from : rule.to);
  return selecting.some((policy) =>
    rulesOf(policy).some((rule) => {
      const peers = peersOf(rule);
      const peerOk = !peers || peers.length === 0 || peers.some((candidate) => peerMatches(candidate, peer));
      return peerOk && portMatches(rule.ports, port);
    }),
  );
}

/** True when the policies let `from` open a TCP connection to `to` on `port`. */
export function allows(policies: readonly any[], from: PodLabels, to: PodLabels, port: number): boolean {
  return direction(policies, from, "Egress", to, port) && direction(policies, to, "Ingress", from, port);
}
