/**
 * The Airflow component in the committed stacks: database, migration, processes, shared secrets,
 * the DAG's connections and variables, and least-privilege container launching on each target.
 */
import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import {
  envMap,
  findResource,
  isSecretEnvelope,
  resetRegistered,
  settle,
  unwrapSecrets,
} from "./support/mocks";
import { validateKubernetesObject } from "./support/kubernetes-schema";
import { podEnv, podSpecOf } from "./support/pods";
import { deployStack } from "../../infra/stack";
import { stackFileConfig } from "./support/stacks";
import { airflowBuildArgs } from "../../components/versions";

test.beforeEach(() => resetRegistered());

const container = "docker:index/container:Container";
const processes = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"];

test.serial(
  "Docker: one Fernet key and JWT secret for every process, DAG connections and variables",
  async (t) => {
    const outputs = deployStack(stackFileConfig("dev"));
    const resources = await settle();
    const envs = processes.map((name) => envMap(findResource(resources, container, name).inputs.envs));
    for (const key of [
      "AIRFLOW__CORE__FERNET_KEY",
      "AIRFLOW__API_AUTH__JWT_SECRET",
      "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    ]) {
      t.is(new Set(envs.map((env) => env[key])).size, 1, `${key} is shared`);
      t.truthy(envs[0]?.[key]);
    }
    const env = envs[1] as Record<string, string>;
    t.regex(env["AIRFLOW__CORE__FERNET_KEY"] ?? "", /^[A-Za-z0-9_-]{43}=$/);
    t.is(env["AIRFLOW__CORE__EXECUTOR"], "LocalExecutor");
    t.is(
      env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
      "postgresql+psycopg2://airflow:mock-password-pipeline-airflow-database-password@airflow-postgres-0:5432/airflow",
    );
    t.is(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"], "http://airflow-api-server:8080/execution/");
    t.is(env["USERS_PIPELINE_SCHEDULE"], "@hourly");
    t.like(env, {
      AIRFLOW_VAR_PIPELINE_TARGET: "docker",
      AIRFLOW_VAR_DOCKER_URL: "tcp://docker-socket-proxy:2375",
      AIRFLOW_VAR_DOCKER_NETWORK: "dev-network",
      AIRFLOW_VAR_USERS_TOPIC: "users_created",
      AIRFLOW_VAR_PRODUCER_COUNT: "10000",
      AIRFLOW_VAR_CASSANDRA_KEYSPACE: "pipeline",
    });
    t.regex(env["AIRFLOW_VAR_PRODUCER_IMAGE"] ?? "", /^data-pipeline-producer:0\.1\.0-[0-9a-f]{12}$/);
    t.deepEqual(JSON.parse(env["AIRFLOW_VAR_PRODUCER_ENV"] ?? "{}"), {
      PRODUCER_BROKERS: "kafka-0:9092",
      PRODUCER_TOPIC: "users_created",
      PRODUCER_FORMAT: "json",
    });
    t.deepEqual(JSON.parse(env["AIRFLOW_CONN_KAFKA_DEFAULT"] ?? "{}"), {
      conn_type: "kafka",
      extra: { "bootstrap.servers": "kafka-0:9092" },
    });
    t.like(JSON.parse(env["AIRFLOW_CONN_CASSANDRA_DEFAULT"] ?? "{}"), {
      conn_type: "cassandra",
      host: "cassandra-0",
      port: 9042,
      login: "pipeline",
      schema: "pipeline",
    });
    const migrate = findResource(resources, container, "airflow-migrate");
    t.regex(migrate.inputs.command[2], /airflow db migrate/);
    t.true(migrate.dependsOn.includes("airflow-postgres-0"));
    for (const name of processes)
      t.true(findResource(resources, container, name).dependsOn.includes("airflow-migrate"), name);
    t.deepEqual(findResource(resources, container, "airflow-api-server").inputs.ports, [
      { internal: 8080, external: 8088, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    t.is(outputs.airflowUrl, "http://localhost:8088");
    t.true(await pulumi.isSecret(outputs.airflowAdminPassword));
    const fernet = findResource(resources, "randomBytes:RandomBytes", "pipeline-airflow-fernet-key");
    t.is(fernet.inputs.length, 32);
  },
);

test.serial(
  "Docker: the producer is launched through a socket proxy that allows only containers and images",
  async (t) => {
    deployStack(stackFileConfig("dev"));
    const resources = await settle();
    const proxy = findResource(resources, container, "docker-socket-proxy");
    t.deepEqual(proxy.inputs.volumes, [
      { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
    ]);
    t.is(proxy.inputs.ports, undefined, "the proxy is never published");
    const permissions = envMap(proxy.inputs.envs);
    t.like(permissions, { CONTAINERS: "1", IMAGES: "1", POST: "1", EXEC: "0", VOLUMES: "0", NETWORKS: "0" });
    t.regex(proxy.inputs.image, /docker-socket-proxy-0\.3\.0/);
    t.true(findResource(resources, container, "airflow-scheduler").dependsOn.includes("docker-socket-proxy"));
    const mountsSocket = resources
      .filter((resource) => resource.type === container && resource.name !== "docker-socket-proxy")
      .filter((resource) => JSON.stringify(resource.inputs.volumes ?? []).includes("docker.sock"));
    t.deepEqual(mountsSocket, [], "no other container sees the Docker socket");
  },
);

test.serial(
  "Kubernetes: secrets by reference, a pod launcher that may only manage pods, valid objects",
  async (t) => {
    deployStack(stackFileConfig("staging"));
    const resources = await settle();
    const secret = findResource(resources, ":Secret", "airflow-secrets");
    t.true(isSecretEnvelope(secret.inputs.stringData));
    t.deepEqual(Object.keys(unwrapSecrets(secret.inputs.stringData) as object).sort(), [
      "admin-password",
      "api-secret-key",
      "cassandra-connection",
      "database-url",
      "fernet-key",
      "jwt-secret",
      "kafka-connection",
    ]);
    const scheduler = findResource(resources, ":Deployment", "airflow-scheduler");
    t.is(podSpecOf(scheduler).serviceAccountName, "pod-launcher");
    t.true(podSpecOf(scheduler).automountServiceAccountToken);
    t.true(scheduler.dependsOn.includes("pod-launcher"));
    t.deepEqual(podEnv(scheduler)["AIRFLOW__CORE__FERNET_KEY"], {
      secretKeyRef: { name: "airflow-secrets", key: "fernet-key" },
    });
    t.is(podEnv(scheduler)["AIRFLOW_VAR_PIPELINE_TARGET"], "kubernetes");
    t.is(podEnv(scheduler)["AIRFLOW_VAR_KUBERNETES_NAMESPACE"], "data-pipeline-staging");
    t.is(podEnv(scheduler)["USERS_PIPELINE_SCHEDULE"], "*/30 * * * *");
    t.deepEqual(podSpecOf(scheduler).containers[0].livenessProbe.exec.command, [
      "airflow",
      "jobs",
      "check",
      "--job-type",
      "SchedulerJob",
      "--local",
    ]);
    for (const name of ["airflow-api-server", "airflow-dag-processor", "airflow-triggerer"]) {
      const other = findResource(resources, ":Deployment", name);
      t.false(podSpecOf(other).automountServiceAccountToken, `${name} gets no API token`);
      t.is(podSpecOf(other).serviceAccountName, undefined);
    }
    const role = findResource(resources, ":Role", "pod-launcher");
    t.is(role.inputs.metadata.namespace, "data-pipeline-staging");
    const grantedResources = role.inputs.rules
      .flatMap((rule: { resources: string[] }) => rule.resources)
      .sort();
    t.deepEqual(grantedResources, ["events", "pods", "pods/exec", "pods/log"]);
    t.true(
      role.inputs.rules.every(
        (rule: { apiGroups: string[] }) => rule.apiGroups.length === 1 && rule.apiGroups[0] === "",
      ),
    );
    const binding = findResource(resources, ":RoleBinding", "pod-launcher");
    t.deepEqual(binding.inputs.subjects, [
      { kind: "ServiceAccount", name: "pod-launcher", namespace: "data-pipeline-staging" },
    ]);
    t.like(
      findResource(resources, ":StatefulSet", "airflow-postgres").inputs.spec.template.spec.securityContext,
      { runAsUser: 999 },
    );
    t.false(JSON.stringify(scheduler.inputs).includes("mock-password"), "no secret in a pod spec");
    for (const object of resources.filter((resource) => resource.type.startsWith("kubernetes:"))) {
      await t.notThrowsAsync(validateKubernetesObject(object), object.name);
    }
  },
);

test("the Airflow image pins the same Airflow and providers as the tested DAG environment", async (t) => {
  const fs = await import("node:fs");
  const pins = (file: string) =>
    new Map(
      fs
        .readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => /^apache-airflow[\w-]*==/.test(line))
        .map((line) => line.split("==") as [string, string]),
    );
  const image = pins("airflow/requirements.txt");
  const tested = pins("dags/requirements.txt");
  t.true(image.size >= 4);
  for (const [name, version] of image) t.is(tested.get(name), version, name);
  // The image keeps the Airflow it is built with (a build arg from versions.json) while adding them.
  t.is(airflowBuildArgs()["AIRFLOW_VERSION"], tested.get("apache-airflow"));
  t.true(fs.readFileSync("airflow/Dockerfile", "utf8").includes('"apache-airflow==${AIRFLOW_VERSION}"'));
});
