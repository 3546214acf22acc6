/**
 * Accessors for the pod template of a registered Kubernetes workload (StatefulSet, Deployment, Job).
 */
import type { RegisteredResource } from "./mocks";

/** The pod spec of a workload's template. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const podSpecOf = (workload: RegisteredResource): any => workload.inputs.spec.template.spec;

/** The workload's main (first) container. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const mainContainer = (workload: RegisteredResource): any => podSpecOf(workload).containers[0];

/** The main container's env: plain values, or the `valueFrom` reference of a secret. */
export const podEnv = (workload: RegisteredResource): Record<string, unknown> =>
  Object.fromEntries(
    mainContainer(workload).env.map((variable: { name: string; value?: string; valueFrom?: unknown }) => [
      variable.name,
      variable.value ?? variable.valueFrom,
    ]),
  );
