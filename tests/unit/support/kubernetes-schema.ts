/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schema (kubernetes-models).
 */
import type { RegisteredResource } from "./mocks";
import { unwrapSecrets } from "./mocks";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/** `kubernetes:apps/v1:StatefulSet` -> the kubernetes-models class for apps/v1 StatefulSet. */
export async function modelFor(type: string): Promise<ModelClass> {
  const match = /^kubernetes:([a-z0-9.]+)\/(v[0-9a-z]+):([A-Za-z]+)$/.exec(type);
  if (!match) throw new Error(`Not a Kubernetes resource type: ${type}`);
  // A `<Kind>Patch` (server-side apply of some fields of an existing object) is checked as a <Kind>.
  const [, group, version, patchOrKind] = match;
  const kind = patchOrKind?.replace(/Patch$/, "");
  const modulePath =
    group === "core"
      ? `kubernetes-models/${version}/${kind}`
      : `kubernetes-models/${group}/${version}/${kind}`;
  // kubernetes-models is ESM-only: load it with a dynamic import.
  const loaded = (await import(modulePath)) as Record<string, ModelClass>;
  const model = loaded[kind as string];
  if (!model) throw new Error(`kubernetes-models has no ${kind} in ${modulePath}`);
  return model;
}

/** Throws with the schema errors when the object is not valid. */
export async function validateKubernetesObject(
  resource: Pick<RegisteredResource, "type" | "inputs">,
): Promise<void> {
  const Model = await modelFor(resource.type);
  new Model(unwrapSecrets(resource.inputs)).validate();
}
