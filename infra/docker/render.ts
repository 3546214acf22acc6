/**
 * Pure functions that turn the neutral workload model into @pulumi/docker Container arguments.
 * Exported for unit tests without mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type {
  EnvironmentValue,
  HealthCheckSpec,
  PortSpec,
  ReplicaIdentity,
  ResourceSpec,
  ServiceSpec,
} from "../../components/spec";
import { isPerReplicaValue, isSecretValue } from "../../components/spec";

/** Healthcheck defaults shared with the Kubernetes target. */
export const healthCheckDefaults = {
  intervalSeconds: 10,
  timeoutSeconds: 5,
  retries: 6,
  startPeriodSeconds: 60,
};

/** The Docker network alias of replica `ordinal` of a service. */
export function dockerReplicaHost(serviceName: string, ordinal: number): string {
  return `${serviceName}-${ordinal}`;
}

/** The host port replica `ordinal` publishes for a port, if any. */
export function publishedHostPort(port: PortSpec, ordinal: number): number | undefined {
  if (!port.publish) return undefined;
  return port.publish.perReplica ? port.publish.hostPort + ordinal : port.publish.hostPort;
}

/** The identity of a replica on Docker: literal ordinal, network alias, published ports. */
export function dockerReplicaIdentity(spec: ServiceSpec, ordinal: number): ReplicaIdentity {
  return {
    ordinal: String(ordinal),
    offset: (n) => String(ordinal + n),
    host: dockerReplicaHost(spec.name, ordinal),
    publishedPort: (portName) => {
      const port = (spec.ports ?? []).find((p) => p.name === portName);
      return port ? publishedHostPort(port, ordinal) : undefined;
    },
  };
}

/** `NAME=value` strings for the container; secret values stay secret Outputs. */
export function containerEnvironment(
  env: Readonly<Record<string, EnvironmentValue>> | undefined,
  replica: ReplicaIdentity | undefined,
): pulumi.Input<string>[] {
  return Object.entries(env ?? {}).map(([key, value]) => {
    if (isSecretValue(value)) return pulumi.secret(pulumi.interpolate`${key}=${value.secret.value}`);
    if (isPerReplicaValue(value)) {
      if (!replica)
        throw new Error(`Unable to render env ${key}: a per-replica value needs a service replica.`);
      return `${key}=${value.perReplica(replica)}`;
    }
    return pulumi.interpolate`${key}=${value}`;
  });
}

/** The healthcheck `test` for a probe: Docker can only run a command inside the container. */
export function healthCheckCommand(check: HealthCheckSpec): string[] {
  const probe = check.probe;
  switch (probe.kind) {
    case "command":
      return ["CMD", ...probe.command];
    case "http":
      return ["CMD-SHELL", `curl -fsS -o /dev/null http://127.0.0.1:${probe.port}${probe.path} || exit 1`];
    case "tcp":
      return ["CMD-SHELL", `bash -c '</dev/tcp/127.0.0.1/${probe.port}' || exit 1`];
  }
}

/** Docker healthcheck arguments (durations as Go duration strings). */
export function dockerHealthcheck(check: HealthCheckSpec): docker.types.input.ContainerHealthcheck {
  const interval = check.intervalSeconds ?? healthCheckDefaults.intervalSeconds;
  const timeout = check.timeoutSeconds ?? healthCheckDefaults.timeoutSeconds;
  const retries = check.retries ?? healthCheckDefaults.retries;
  const startPeriod = check.startPeriodSeconds ?? healthCheckDefaults.startPeriodSeconds;
  return {
    tests: healthCheckCommand(check),
    interval: `${interval}s`,
    timeout: `${timeout}s`,
    retries,
    startPeriod: `${startPeriod}s`,
  };
}

/** How long `pulumi up` waits for a container to become healthy before failing. */
export function healthWaitSeconds(check: HealthCheckSpec | undefined): number {
  if (!check) return 60;
  const interval = check.intervalSeconds ?? healthCheckDefaults.intervalSeconds;
  const retries = check.retries ?? healthCheckDefaults.retries;
  const startPeriod = check.startPeriodSeconds ?? healthCheckDefaults.startPeriodSeconds;
  return startPeriod + interval * (retries + 1) + 30;
}

/** Container ports, bound to `defaultHostIp` (127.0.0.1 by default) unless a port says otherwise. */
export function containerPorts(
  ports: readonly PortSpec[] | undefined,
  ordinal: number,
  defaultHostIp: string,
): docker.types.input.ContainerPort[] {
  return (ports ?? [])
    .filter((port) => port.publish)
    .map((port) => ({
      internal: port.containerPort,
      external: publishedHostPort(port, ordinal),
      ip: port.publish?.hostIp ?? defaultHostIp,
      protocol: "tcp",
    }));
}

/** Memory (MiB) and CPU settings: limits are hard limits, requests become reservation and shares. */
export function containerResources(resources: ResourceSpec | undefined): {
  memory?: number;
  memoryReservation?: number;
  cpus?: string;
  cpuShares?: number;
} {
  if (!resources) return {};
  return {
    ...(resources.memoryLimitMiB !== undefined ? { memory: resources.memoryLimitMiB } : {}),
    ...(resources.memoryRequestMiB !== undefined ? { memoryReservation: resources.memoryRequestMiB } : {}),
    ...(resources.cpuLimit !== undefined ? { cpus: String(resources.cpuLimit) } : {}),
    ...(resources.cpuRequest !== undefined
      ? { cpuShares: Math.max(2, Math.round(resources.cpuRequest * 1024)) }
      : {}),
  };
}

/** Docker labels from a label map. */
export function containerLabels(labels: Record<string, string>): docker.types.input.ContainerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
