/**
 * DockerTarget: realizes the neutral workload model as containers on one Docker engine.
 *
 * - One bridge network created by Pulumi (never a hand-made external network); every container joins
 *   it with its service name as alias, and replicas also as `<service>-<ordinal>`.
 * - Replicas are honoured by running one container per replica; stateful replicas get their own volumes.
 * - Ports publish to 127.0.0.1 unless the stack says otherwise.
 * - Start ordering: a container with a healthcheck is created with `wait: true`, so dependents (Pulumi
 *   `dependsOn`) start only after it is healthy; jobs are attached and run to completion first.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ImageBuildSpec, JobSpec, ServiceSpec, Workload, WorkloadSpecBase } from "../../components/spec";
import { standardLabels } from "../../components/spec";
import type { ContainerLauncher, Target } from "../../components/target";
import { versions } from "../../components/versions";
import { buildImage } from "./image";
import {
  containerEnvironment,
  containerLabels,
  containerPorts,
  containerResources,
  dockerHealthcheck,
  dockerReplicaHost,
  dockerReplicaIdentity,
  healthWaitSeconds,
} from "./render";

/** Arguments of {@link DockerTarget}. */
export interface DockerTargetArgs {
  /**
   * Prefix of container, volume and network names, so two stacks can share an engine.
   * @default the Pulumi stack name
   */
  readonly prefix?: string;
  /** Host address published ports bind to. @default "127.0.0.1" */
  readonly hostIp?: string;
  /** Registry prefix for built images (e.g. `ghcr.io/acme`); images are pushed when set. @default undefined (local only) */
  readonly imageRegistry?: string;
  /**
   * PEM CA bundle handed to every image build as the BuildKit secret `ca-bundle` (stack config
   * `data-pipeline:buildCaBundle`): the CAs npm, pip and Maven trust inside the builds, e.g. behind a
   * TLS-intercepting proxy. A secret mount, never an image layer. @default undefined (no secret)
   */
  readonly buildCaBundle?: pulumi.Input<string>;
  /** Explicit Docker provider (remote engine, ...). @default the default provider */
  readonly provider?: docker.Provider;
}

/** Realizes workloads as Docker containers on one network. */
export class DockerTarget extends pulumi.ComponentResource implements Target {
  public readonly kind = "docker";
  public readonly publishesHostPorts = true;
  /** The pipeline's Docker network. */
  public readonly network: docker.Network;
  /** The network's name. */
  public readonly networkName: pulumi.Output<string>;
  private readonly prefix: string;
  private readonly hostIp: string;
  private readonly imageRegistry: string | undefined;
  private readonly buildCaBundle: pulumi.Input<string> | undefined;
  private readonly remoteImages = new Map<string, docker.RemoteImage>();
  private launcher: ContainerLauncher | undefined;

  constructor(name: string, args: DockerTargetArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(
      "data-pipeline:docker:DockerTarget",
      name,
      {},
      { ...opts, ...(args.provider ? { providers: [args.provider] } : {}) },
    );
    this.prefix = args.prefix ?? pulumi.getStack();
    this.hostIp = args.hostIp ?? "127.0.0.1";
    this.imageRegistry = args.imageRegistry;
    this.buildCaBundle = args.buildCaBundle;
    this.network = new docker.Network(
      `${name}-network`,
      {
        name: `${this.prefix}-network`,
        driver: "bridge",
        labels: [{ label: "app.kubernetes.io/part-of", value: "data-pipeline" }],
      },
      { parent: this },
    );
    this.networkName = this.network.name;
    this.registerOutputs({ networkName: this.networkName });
  }

  public serviceHost(serviceName: string): string {
    return serviceName;
  }

  public replicaHost(serviceName: string, ordinal: number): string {
    return dockerReplicaHost(serviceName, ordinal);
  }

  public deployService(spec: ServiceSpec, parent: pulumi.Resource): Workload {
    const replicas = spec.replicas ?? 1;
    const expandReplicas = spec.stateful === true || replicas > 1;
    for (const volume of spec.volumes ?? []) {
      pulumi.log.warn(
        `DockerTarget: ${spec.component} volume "${volume.name}" size ${volume.size} is not enforced: Docker volumes have no size limit.`,
        parent,
      );
    }
    const image = this.imageFor(spec.image);
    const dependsOn = dependenciesOf(spec);
    const containers: docker.Container[] = [];
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const replica = expandReplicas ? dockerReplicaIdentity(spec, ordinal) : undefined;
      const resourceName = expandReplicas ? `${spec.name}-${ordinal}` : spec.name;
      const volumes = (spec.volumes ?? []).map((volume) => {
        const dockerVolume = new docker.Volume(
          `${resourceName}-${volume.name}`,
          {
            name: `${this.prefix}-${resourceName}-${volume.name}`,
            labels: [{ label: "app.kubernetes.io/instance", value: spec.name }],
          },
          { parent },
        );
        return { volumeName: dockerVolume.name, containerPath: volume.mountPath };
      });
      const aliases = replica ? [spec.name, replica.host] : [spec.name];
      containers.push(
        new docker.Container(
          resourceName,
          {
            ...this.commonContainerArgs(spec, image, replica),
            hostname: replica?.host ?? spec.name,
            networksAdvanced: [{ name: this.network.name, aliases }],
            ports: containerPorts(spec.ports, ordinal, this.hostIp),
            volumes,
            restart: "unless-stopped",
            ...(spec.healthCheck
              ? {
                  healthcheck: dockerHealthcheck(spec.healthCheck),
                  wait: true,
                  waitTimeout: healthWaitSeconds(spec.healthCheck),
                }
              : {}),
          },
          { parent, dependsOn },
        ),
      );
    }
    return { name: spec.name, kind: "service", resources: containers };
  }

  public runJob(spec: JobSpec, parent: pulumi.Resource): Workload {
    if (spec.timeoutSeconds !== undefined) {
      pulumi.log.warn(
        `DockerTarget: ${spec.component} job "${spec.name}" timeoutSeconds ${spec.timeoutSeconds} is not enforced on Docker; the job runs until it exits.`,
        parent,
      );
    }
    const container = new docker.Container(
      spec.name,
      {
        ...this.commonContainerArgs(spec, this.imageFor(spec.image), undefined),
        networksAdvanced: [{ name: this.network.name }],
        // Run to completion: attach and wait for the exit, retry on failure up to the backoff limit.
        attach: true,
        logs: true,
        mustRun: false,
        restart: "on-failure",
        maxRetryCount: spec.backoffLimit ?? 4,
      },
      { parent, dependsOn: dependenciesOf(spec) },
    );
    return { name: spec.name, kind: "job", resources: [container] };
  }

  /**
   * A Docker API proxy on the pipeline network that allows only what DockerOperator needs (containers,
   * images, version and ping; no volumes, networks, exec, swarm or secrets). The engine socket is
   * mounted read-only into the proxy alone; nothing else sees it and it is never published.
   */
  public containerLauncher(parent: pulumi.Resource): ContainerLauncher {
    void parent;
    if (!this.launcher) {
      const name = "docker-socket-proxy";
      const proxy = new docker.Container(
        name,
        {
          name: `${this.prefix}-${name}`,
          image: this.imageFor(dockerSocketProxyImage),
          envs: dockerSocketProxyPermissions,
          networksAdvanced: [{ name: this.network.name, aliases: [name] }],
          volumes: [
            { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
          ],
          readOnly: true,
          tmpfs: { "/run": "rw,size=16m", "/tmp": "rw,size=16m" },
          labels: containerLabels({
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/part-of": "data-pipeline",
          }),
          restart: "unless-stopped",
          memory: 64,
        },
        { parent: this },
      );
      this.launcher = {
        variables: {
          PIPELINE_TARGET: "docker",
          DOCKER_URL: `tcp://${name}:2375`,
          DOCKER_NETWORK: `${this.prefix}-network`,
        },
        dependency: { name, kind: "service", probePort: 2375, resources: [proxy] },
      };
    }
    return this.launcher;
  }

  public buildImage(spec: ImageBuildSpec, parent: pulumi.Resource): pulumi.Output<string> {
    return buildImage(
      spec,
      {
        ...(this.imageRegistry !== undefined ? { registry: this.imageRegistry } : {}),
        ...(this.buildCaBundle !== undefined ? { caBundle: this.buildCaBundle } : {}),
      },
      parent,
    );
  }

  private commonContainerArgs(
    spec: WorkloadSpecBase,
    image: pulumi.Input<string>,
    replica: ReturnType<typeof dockerReplicaIdentity> | undefined,
  ): docker.ContainerArgs {
    return {
      name: replica ? `${this.prefix}-${replica.host}` : `${this.prefix}-${spec.name}`,
      image,
      envs: containerEnvironment(spec.env, replica),
      labels: containerLabels(standardLabels(spec)),
      uploads: (spec.configFiles ?? []).map((file) => ({ file: file.mountPath, content: file.content })),
      ...(spec.command ? { entrypoints: [...spec.command] } : {}),
      ...(spec.args ? { command: [...spec.args] } : {}),
      ...(spec.runAs ? { user: `${spec.runAs.uid}:${spec.runAs.gid}` } : {}),
      // serviceAccount is a Kubernetes identity; on Docker a workload needs none (the launcher proxy is its access).
      ...containerResources(spec.resources),
    };
  }

  /** Registry images are pulled once per reference (kept locally); built images are used as is. */
  private imageFor(image: pulumi.Input<string>): pulumi.Input<string> {
    if (typeof image !== "string") return image;
    let remote = this.remoteImages.get(image);
    if (!remote) {
      const resourceName = `image-${image.replace(/[^a-zA-Z0-9.-]+/g, "-")}`;
      remote = new docker.RemoteImage(resourceName, { name: image, keepLocally: true }, { parent: this });
      this.remoteImages.set(image, remote);
    }
    return remote.imageId;
  }
}

/** The Docker API proxy image, at the version of versions.json (never `latest`). */
export const dockerSocketProxyImage = `tecnativa/docker-socket-proxy:${versions.dockerSocketProxy}`;

/** What the proxy lets through: creating, starting, waiting on, reading logs of and removing containers, and images. */
export const dockerSocketProxyPermissions = [
  "CONTAINERS=1",
  "IMAGES=1",
  "POST=1",
  "DELETE=1",
  "VERSION=1",
  "PING=1",
  "INFO=0",
  "EXEC=0",
  "VOLUMES=0",
  "NETWORKS=0",
];

/** Pulumi dependencies: a dependent is created after what it needs is healthy (or completed). */
function dependenciesOf(spec: WorkloadSpecBase): pulumi.Resource[] {
  return (spec.dependsOn ?? []).flatMap((dependency) => [...dependency.workload.resources]);
}
