/**
 * The Target interface: how a component's neutral workload specs become real resources.
 *
 * Components call a target; they never import a provider SDK. `DockerTarget` and
 * `KubernetesTarget` (under infra/) implement it; another platform implements the same methods.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { LauncherVariables } from "../contracts/interfaces";
import type { ConnectionSpec, ImageBuildSpec, JobSpec, ServiceSpec, Workload } from "./spec";

/** A container an orchestrator starts per run (the producer): its component name and whom it reaches. */
export interface TaskContainerSpec {
  /** The component name its runner labels it with (`app.kubernetes.io/name` on Kubernetes). */
  readonly component: string;
  /** The connections it opens. */
  readonly connectsTo: readonly ConnectionSpec[];
}

/**
 * How an orchestrator (Airflow) starts one-off containers on this target, in neutral terms: the
 * variables its tasks read, the identity its launching process runs as, and what it waits for.
 */
export interface ContainerLauncher {
  /**
   * `PIPELINE_TARGET`, endpoints and names the tasks need (become `AIRFLOW_VAR_*`); the names and
   * values the DAG reads are those of `airflowVariables` in contracts/interfaces.ts.
   */
  readonly variables: LauncherVariables;
  /** Identity the launching workload runs as (a Kubernetes ServiceAccount allowed to manage pods). */
  readonly serviceAccount?: string;
  /** Something the launching workload waits for (a Docker API proxy). */
  readonly dependency?: Workload;
  /**
   * True when the containers it starts can take env from a platform secret by name (a Kubernetes
   * Secret through `secretKeyRef`): the orchestrator is handed the secret's name, never its value.
   * Otherwise it passes secret values to each container as private env. @default false
   */
  readonly secretsByName?: boolean;
}

/** Where and how a pipeline's workloads are realized. */
export interface Target {
  /** Short name used in messages and outputs (`docker`, `kubernetes`). */
  readonly kind: string;
  /** True when ports can be published to the host (so host clients get their own listener). */
  readonly publishesHostPorts: boolean;
  /** The in-network host name of a service (every replica answers it). */
  serviceHost(serviceName: string): string;
  /** The stable in-network host name of one replica of a stateful service. */
  replicaHost(serviceName: string, ordinal: number): string;
  /** Deploys a long-running service. */
  deployService(spec: ServiceSpec, parent: pulumi.Resource): Workload;
  /** Runs a job to completion; dependents start after it succeeded. */
  runJob(spec: JobSpec, parent: pulumi.Resource): Workload;
  /**
   * Sets up (once) what an orchestrator needs to start containers here, with least privilege; `tasks`
   * are the containers it will start (a target that isolates workloads lets them reach their services).
   */
  containerLauncher(parent: pulumi.Resource, tasks?: readonly TaskContainerSpec[]): ContainerLauncher;
  /** Builds an image from a local Dockerfile and returns the reference workloads should run. */
  buildImage(spec: ImageBuildSpec, parent: pulumi.Resource): pulumi.Output<string>;
}
