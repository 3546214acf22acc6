/**
 * The neutral workload model.
 *
 * A component says *what* runs (image, ports, env, volumes, probes, dependencies) as plain data in
 * these shapes; a {@link Target} decides *how* (Docker containers, Kubernetes objects, ...). Nothing in
 * this file knows about a provider SDK, so a third target can be added without touching a component.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The identity of one replica of a service, as the target that runs it knows it. */
export interface ReplicaIdentity {
  /**
   * The replica's ordinal (0, 1, 2, ...). On a target that expands replicas itself (Docker) this is a
   * literal number; on one that renders a single template (a Kubernetes StatefulSet) it is a shell
   * expression evaluated in the container at start, so treat it as opaque text.
   */
  readonly ordinal: string;
  /** `ordinal + n`, with the same literal/expression rule as {@link ReplicaIdentity.ordinal}. */
  offset(n: number): string;
  /** The replica's own stable in-network host name (e.g. `kafka-1` or `kafka-1.kafka-headless.ns.svc...`). */
  readonly host: string;
  /** The host port this replica publishes for the named port, if the target publishes one. */
  publishedPort(portName: string): number | undefined;
}

/** An env value computed per replica (broker ids, advertised listeners, ...). */
export interface PerReplicaValue {
  readonly perReplica: (replica: ReplicaIdentity) => string;
}

/**
 * A reference to one key of a named secret. Docker injects the value; Kubernetes creates a Secret
 * object named {@link SecretReference.secretName} and references it, so the value never appears in a
 * pod spec.
 */
export interface SecretReference {
  readonly secretName: string;
  readonly key: string;
  readonly value: pulumi.Input<string>;
}

/** An environment value: plain text, a secret reference or a per-replica value. */
export type EnvironmentValue = pulumi.Input<string> | { readonly secret: SecretReference } | PerReplicaValue;

/** A container port. */
export interface PortSpec {
  /** Short name (`client`, `http`, `internal`); used in Kubernetes Service ports and by `publishedPort`. */
  readonly name: string;
  readonly containerPort: number;
  /**
   * Publish to the host (Docker only). Kubernetes clients reach services through the Service DNS; a
   * target that cannot publish warns.
   */
  readonly publish?: {
    readonly hostPort: number;
    /** @default "127.0.0.1" (the stack's `docker.hostIp`) */
    readonly hostIp?: string;
    /** Replica `i` publishes `hostPort + i` (each broker needs its own host port). @default false */
    readonly perReplica?: boolean;
  };
}

/** A persistent volume; stateful services get one per replica. */
export interface VolumeSpec {
  readonly name: string;
  readonly mountPath: string;
  /** Requested size, Kubernetes quantity form (`10Gi`). Docker volumes have no size and warn. */
  readonly size: string;
}

/** A file mounted read-only into the container. */
export interface ConfigFileSpec {
  readonly name: string;
  /** Absolute path of the file inside the container. */
  readonly mountPath: string;
  readonly content: pulumi.Input<string>;
}

/** How health is checked. */
export type HealthCheckProbe =
  | { readonly kind: "command"; readonly command: readonly string[] }
  | { readonly kind: "http"; readonly path: string; readonly port: number }
  | { readonly kind: "tcp"; readonly port: number };

/** A health check: a Docker healthcheck, or Kubernetes readiness, liveness and startup probes. */
export interface HealthCheckSpec {
  readonly probe: HealthCheckProbe;
  /** @default 10 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before unhealthy. @default 6 */
  readonly retries?: number;
  /** Grace period for a slow start (Docker start period, Kubernetes startup probe). @default 60 */
  readonly startPeriodSeconds?: number;
}

/** CPU in cores, memory in MiB. */
export interface ResourceSpec {
  readonly cpuRequest?: number;
  readonly cpuLimit?: number;
  readonly memoryRequestMiB?: number;
  readonly memoryLimitMiB?: number;
}

/** The user a container runs as (Kubernetes runs non-root where the image allows). */
export interface RunAsSpec {
  readonly uid: number;
  readonly gid: number;
}

/** A destination port, or an inclusive range of ports (a process that picks one at start). */
export type PortSelector = number | { readonly from: number; readonly to: number };

/**
 * A network flow between a workload and a service, by service name (every replica). A target that
 * isolates workloads from each other (Kubernetes NetworkPolicies) allows exactly the declared flows.
 */
export interface ConnectionSpec {
  /** The service connected to: its name (`kafka`, `spark-worker`). */
  readonly service: string;
  /** The destination ports. */
  readonly ports: readonly PortSelector[];
  /**
   * The service the connection is opened from, when it is not the declaring workload itself: code
   * the workload runs elsewhere, e.g. the executors a Spark job starts inside the cluster's workers,
   * which read Kafka, write Cassandra and reach back to the driver. @default the declaring workload
   */
  readonly from?: string;
}

/** A connection to a deployed workload's ports (from `from`, a service name, when given). */
export function connectionTo(
  workload: Workload,
  ports: readonly PortSelector[],
  from?: Workload,
): ConnectionSpec {
  return { service: workload.name, ports, ...(from ? { from: from.name } : {}) };
}

/** Something a workload waits for before it starts. */
export interface Dependency {
  readonly workload: Workload;
}

/** Fields shared by services and jobs. */
export interface WorkloadSpecBase {
  /** Service name: the Docker network alias and the Kubernetes Service/Job name. DNS label form. */
  readonly name: string;
  /** The component that owns the workload (`kafka`, `schema-registry`): labels and warnings name it. */
  readonly component: string;
  readonly image: pulumi.Input<string>;
  /** Replaces the image entrypoint. */
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /**
   * The image's own entrypoint. Needed when per-replica env values must be computed at container
   * start (Kubernetes renders them through a shell that then `exec`s this).
   */
  readonly entrypoint?: readonly string[];
  readonly env?: Readonly<Record<string, EnvironmentValue>>;
  readonly configFiles?: readonly ConfigFileSpec[];
  readonly resources?: ResourceSpec;
  readonly runAs?: RunAsSpec;
  /** Platform identity (a Kubernetes ServiceAccount); none means no API credentials are mounted. */
  readonly serviceAccount?: string;
  readonly dependsOn?: readonly Dependency[];
  /**
   * Connections this workload opens (or its code opens from another service, see
   * {@link ConnectionSpec.from}). Each dependency's probe port is implied (the workload waits for it,
   * then uses it); list the rest here, including a service's replicas talking to each other.
   * @default []
   */
  readonly connectsTo?: readonly ConnectionSpec[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** A long-running service. */
export interface ServiceSpec extends WorkloadSpecBase {
  /** @default 1 */
  readonly replicas?: number;
  /** Stable identity and storage per replica (StatefulSet on Kubernetes, one container each on Docker). */
  readonly stateful?: boolean;
  readonly ports?: readonly PortSpec[];
  readonly volumes?: readonly VolumeSpec[];
  readonly healthCheck?: HealthCheckSpec;
}

/** A run-to-completion job (topic creation, schema migration, ...). */
export interface JobSpec extends WorkloadSpecBase {
  /** Retries before the job fails. @default 4 */
  readonly backoffLimit?: number;
  /** Give up after this many seconds. @default 600 */
  readonly timeoutSeconds?: number;
}

/** An image built from a local Dockerfile. */
export interface ImageBuildSpec {
  /** Image name without registry or tag (`data-pipeline-producer`). */
  readonly name: string;
  /** Build context directory. */
  readonly context: string;
  /** Dockerfile path. @default "<context>/Dockerfile" */
  readonly dockerfile?: string;
  /** Tag: an exact version, never `latest`. */
  readonly tag: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
}

/** What a target returns for a deployed workload. */
export interface Workload {
  readonly name: string;
  readonly kind: "service" | "job";
  /** A port a dependent can probe before it starts (Kubernetes init check). */
  readonly probePort?: number;
  /** The resources dependents wait on (Pulumi `dependsOn`). */
  readonly resources: readonly pulumi.Resource[];
}

/** The labels every workload gets, plus its own. */
export function standardLabels(spec: WorkloadSpecBase): Record<string, string> {
  return {
    "app.kubernetes.io/name": spec.component,
    "app.kubernetes.io/instance": spec.name,
    "app.kubernetes.io/part-of": "data-pipeline",
    "app.kubernetes.io/managed-by": "pulumi",
    ...(spec.labels ?? {}),
  };
}

/** True when the value is a secret reference. */
export function isSecretValue(value: EnvironmentValue): value is { readonly secret: SecretReference } {
  return typeof value === "object" && value !== null && "secret" in value;
}

/** True when the value is computed per replica. */
export function isPerReplicaValue(value: EnvironmentValue): value is PerReplicaValue {
  return typeof value === "object" && value !== null && "perReplica" in value;
}
