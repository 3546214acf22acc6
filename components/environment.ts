/**
 * Container environments built from the interface descriptors of contracts/interfaces.ts, so a
 * component writes only names its process reads, with values of their type.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentValues, VariableDescriptor } from "../contracts/interfaces";
import { environmentOf } from "../contracts/interfaces";
import type { EnvironmentValue } from "./spec";
import { isSecretValue } from "./spec";

/**
 * The environment of `values` checked against `descriptors` ({@link environmentOf}: required
 * variables, names, types and bounds), and every secret variable given as a secret reference (a
 * Kubernetes Secret, never a plain value in a pod spec). Throws one error naming each bad variable.
 */
export function describedEnvironment<D extends VariableDescriptor>(
  descriptors: readonly D[],
  values: EnvironmentValues<D, EnvironmentValue>,
): Record<string, EnvironmentValue> {
  const environment = environmentOf<D, EnvironmentValue>(descriptors, values);
  const plain = descriptors.filter((descriptor) => {
    const value = environment[descriptor.name];
    return descriptor.secret === true && value !== undefined && !isSecretValue(value);
  });
  if (plain.length > 0) {
    const names = plain.map((descriptor) => descriptor.name).join(", ");
    throw new Error(`${names} must be given as a secret reference ({ secret: { secretName, key, value } })`);
  }
  return environment;
}

/** `build()`, an error it throws reported as a ResourceError of `resource`: "<context>: <message>." */
export function withResourceError<T>(resource: pulumi.Resource, context: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new pulumi.ResourceError(`${context}: ${(error as Error).message}.`, resource);
  }
}
