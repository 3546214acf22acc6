/**
 * Pulumi mocks that record every registered resource with its inputs, parent and dependencies.
 * Import this module before the code under test (it calls `pulumi.runtime.setMocks`).
 */
import * as pulumi from "@pulumi/pulumi";

/** One registered resource as the engine would see it. */
export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Resolved inputs (secrets unwrapped). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: any;
  /** Name of the parent resource ("" for the stack). */
  readonly parent: string;
  /** Names of the resources this one explicitly depends on. */
  readonly dependsOn: readonly string[];
}

const registered: RegisteredResource[] = [];
const requests = new Map<string, { parent: string; dependsOn: string[] }>();

function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/** Output state the providers would add, by type. */
function providerState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:${name}`, repoDigest: `${String(inputs["name"])}@sha256:mock` };
    case "docker-build:index:Image":
      return { ref: String((inputs["tags"] as string[] | undefined)?.[0] ?? "") };
    case "random:index/randomId:RandomId": {
      // Deterministic bytes of the requested length, derived from the resource name.
      const bytes = Buffer.alloc(Number(inputs["byteLength"] ?? 8));
      for (let i = 0; i < bytes.length; i++) bytes[i] = (name.charCodeAt(i % name.length) * (i + 1)) & 0xff;
      return { b64Url: bytes.toString("base64url"), hex: bytes.toString("hex") };
    }
    case "random:index/randomBytes:RandomBytes": {
      const bytes = Buffer.alloc(Number(inputs["length"] ?? 8));
      for (let i = 0; i < bytes.length; i++) bytes[i] = (name.charCodeAt(i % name.length) * (i + 1)) & 0xff;
      return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    case "random:index/randomPassword:RandomPassword":
      return { result: `mock-password-${name}` };
    default:
      return {};
  }
}

pulumi.runtime.setMocks(
  {
    newResource(args) {
      const key = `${args.type}::${args.name}`;
      const request = requests.get(key) ?? { parent: "", dependsOn: [] };
      registered.push({
        type: args.type,
        name: args.name,
        urn: key,
        inputs: args.inputs,
        parent: request.parent,
        dependsOn: request.dependsOn,
      });
      return {
        id: `${args.name}-id`,
        state: { ...args.inputs, ...providerState(args.type, args.name, args.inputs) },
      };
    },
    call(args) {
      return args.inputs;
    },
  },
  "data-pipeline",
  "dev",
  false,
);

// The mock monitor does not hand parents or dependencies to `newResource`: read them off the request.
const monitor = pulumi.runtime.getMonitor() as unknown as {
  registerResource(request: RegisterRequest, callback: unknown): unknown;
};
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
}
const registerResource = monitor.registerResource.bind(monitor);
monitor.registerResource = (request: RegisterRequest, callback: unknown) => {
  requests.set(`${request.getType()}::${request.getName()}`, {
    parent: request.getParent() ? nameOfUrn(request.getParent()) : "",
    dependsOn: request.getDependenciesList().map(nameOfUrn),
  });
  return registerResource(request, callback);
};

/** Everything registered since the last {@link resetRegistered}. */
export function registeredResources(): readonly RegisteredResource[] {
  return registered;
}

/** Forget what was registered (between tests in one file; use `test.serial`). */
export function resetRegistered(): void {
  registered.length = 0;
  requests.clear();
}

/** Waits until no new resource has been registered for a few ticks. */
export async function settle(): Promise<readonly RegisteredResource[]> {
  let previous = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (registered.length === previous) quiet++;
    else quiet = 0;
    previous = registered.length;
  }
  return registered;
}

/** The value of an Output (or plain value). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

/** The one resource with this type suffix and name; fails loudly otherwise. */
export function findResource(
  resources: readonly RegisteredResource[],
  typeSuffix: string,
  name: string,
): RegisteredResource {
  const matches = resources.filter(
    (resource) => resource.type.endsWith(typeSuffix) && resource.name === name,
  );
  if (matches.length !== 1) {
    throw new Error(
      `Expected one ${typeSuffix} named ${name}, found ${matches.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`,
    );
  }
  return matches[0] as RegisteredResource;
}

/** `NAME=value` docker env entries as a map. */
export function envMap(envs: unknown): Record<string, string> {
  return Object.fromEntries(
    ((unwrapSecrets(envs) ?? []) as string[]).map((entry) => [
      entry.slice(0, entry.indexOf("=")),
      entry.slice(entry.indexOf("=") + 1),
    ]),
  );
}

/** Pulumi's marker key of a secret value in serialized properties. */
export const secretSignature = "4dabf18193072939515e22adb298388d";

/** True when a resolved input is a secret envelope. */
export function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && secretSignature in value;
}

/** The value with every secret envelope replaced by its content. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretEnvelope(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}
