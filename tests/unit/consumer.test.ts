/**
 * A consumer's view: imports only the package root, the way another Pulumi program would.
 */
import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { resetRegistered, settle, valueOf } from "./support/mocks";
import { DockerTarget, KubernetesTarget, StreamingPipeline, parseStackConfig } from "data-pipeline";
import type { ImageBuildSpec, JobSpec, ServiceSpec, Target, Workload } from "data-pipeline";

test.beforeEach(() => resetRegistered());

test.serial("builds a pipeline on Docker from the package root", async (t) => {
  const target = new DockerTarget("local", { prefix: "mine" });
  const pipeline = new StreamingPipeline("events", {
    target,
    kafka: { brokers: 1, hostPort: 29094 },
    schemaRegistry: { hostPort: 28081 },
    topics: [{ topicName: "clicks", partitions: 6 }],
  });
  const resources = await settle();
  t.is(await valueOf(pipeline.bootstrapServers), "kafka-0:9092");
  t.is(await valueOf(pipeline.hostBootstrapServers), "localhost:29094");
  t.is(pipeline.topics[0]?.topicName, "clicks");
  t.true(resources.some((resource) => resource.inputs?.name === "mine-kafka-0"));
});

test.serial("builds a pipeline on Kubernetes from the package root", async (t) => {
  const target = new KubernetesTarget("cluster", {
    namespace: "events",
    createNamespace: false,
    imageRegistry: "registry.example.com/team",
  });
  const pipeline = new StreamingPipeline("events", { target, kafka: { mode: "kraft", brokers: 3 } });
  await settle();
  t.is(
    await valueOf(pipeline.bootstrapServers),
    [0, 1, 2].map((i) => `kafka-${i}.kafka-headless.events.svc.cluster.local:9092`).join(","),
  );
  t.is(pipeline.zookeeper, undefined);
});

test.serial("a third target plugs in without touching a component", async (t) => {
  const services: ServiceSpec[] = [];
  const jobs: JobSpec[] = [];
  class RecordingTarget implements Target {
    public readonly kind = "recording";
    public readonly publishesHostPorts = false;
    serviceHost(name: string) {
      return `${name}.internal`;
    }
    replicaHost(name: string, ordinal: number) {
      return `${name}-${ordinal}.internal`;
    }
    deployService(spec: ServiceSpec): Workload {
      services.push(spec);
      return { name: spec.name, kind: "service", resources: [] };
    }
    runJob(spec: JobSpec): Workload {
      jobs.push(spec);
      return { name: spec.name, kind: "job", resources: [] };
    }
    containerLauncher() {
      // The DAG knows three launchers (airflowVariables in contracts/interfaces.ts); this one borrows Docker's.
      return { variables: { PIPELINE_TARGET: "docker" as const } };
    }
    buildImage(spec: ImageBuildSpec) {
      return pulumi.output(`${spec.name}:${spec.tag}`);
    }
  }
  const pipeline = new StreamingPipeline("events", {
    target: new RecordingTarget(),
    controlCenter: { enabled: true },
  });
  t.deepEqual(
    services.map((spec) => spec.name),
    [
      "zookeeper",
      "kafka",
      "schema-registry",
      "control-center",
      "cassandra",
      "spark-master",
      "spark-worker",
      "users-stream",
      "airflow-postgres",
      "airflow-api-server",
      "airflow-scheduler",
      "airflow-dag-processor",
      "airflow-triggerer",
    ],
  );
  t.deepEqual(
    jobs.map((spec) => spec.name),
    [
      "kafka-user-producer",
      "kafka-user-streaming-job",
      "kafka-user-schema-registry",
      "kafka-user-control-center",
      "kafka-user-topic-job",
      "kafka-user-airflow",
      "topic-users-created",
      "topic-users-created-dlq",
      "cassandra-schema",
      "airflow-migrate",
    ],
  );
  t.is(await valueOf(pipeline.bootstrapServers), "kafka-0.internal:9092");
});

test.serial("the root exports the config validator", (t) => {
  t.is(
    parseStackConfig({ target: "kubernetes", kubernetes: { imageRegistry: "ghcr.io/acme" } }).kubernetes
      ?.namespace,
    "data-pipeline",
  );
  t.throws(() => parseStackConfig({ target: "swarm" }));
});
