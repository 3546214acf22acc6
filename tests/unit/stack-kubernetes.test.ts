import test from "ava";
import { findResource, resetRegistered, settle, valueOf } from "./support/mocks";
import type { RegisteredResource } from "./support/mocks";
import { validateKubernetesObject } from "./support/kubernetes-schema";
import { deployStack } from "../../infra/stack";
import { mainContainer, podEnv } from "./support/pods";
import { stackFileConfig } from "./support/stacks";
import { versions } from "../../components/versions";

test.beforeEach(() => resetRegistered());

const kubernetesObjects = (resources: readonly RegisteredResource[]) =>
  resources.filter((resource) => resource.type.startsWith("kubernetes:"));
test.serial("staging stack: the exact resource set", async (t) => {
  deployStack(stackFileConfig("staging"));
  const resources = await settle();
  t.deepEqual(resources.map((resource) => `${resource.type} ${resource.name}`).sort(), [
    "data-pipeline:airflow:Airflow pipeline-airflow",
    "data-pipeline:cassandra:Cassandra pipeline-cassandra",
    "data-pipeline:kafka-topic:KafkaTopic pipeline-topic-users_created",
    "data-pipeline:kafka-topic:KafkaTopic pipeline-topic-users_created.dlq",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-airflow",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-producer",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-schema-registry",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-streaming-job",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-topic-job",
    "data-pipeline:kafka:Kafka pipeline-kafka",
    "data-pipeline:kubernetes:KubernetesTarget kubernetes",
    "data-pipeline:pipeline:StreamingPipeline pipeline",
    "data-pipeline:producer:Producer pipeline-producer",
    "data-pipeline:schema-registry:SchemaRegistry pipeline-schema-registry",
    "data-pipeline:spark-cluster:SparkCluster pipeline-spark",
    "data-pipeline:spark-streaming-job:SparkStreamingJob pipeline-users-stream",
    "data-pipeline:zookeeper:ZooKeeper pipeline-zookeeper",
    "docker-build:index:Image data-pipeline-airflow-image",
    "docker-build:index:Image data-pipeline-producer-image",
    "docker-build:index:Image data-pipeline-spark-job-image",
    "kubernetes:apps/v1:Deployment airflow-api-server",
    "kubernetes:apps/v1:Deployment airflow-dag-processor",
    "kubernetes:apps/v1:Deployment airflow-scheduler",
    "kubernetes:apps/v1:Deployment airflow-triggerer",
    "kubernetes:apps/v1:Deployment schema-registry",
    "kubernetes:apps/v1:Deployment spark-worker",
    "kubernetes:apps/v1:StatefulSet airflow-postgres",
    "kubernetes:apps/v1:StatefulSet cassandra",
    "kubernetes:apps/v1:StatefulSet kafka",
    "kubernetes:apps/v1:StatefulSet spark-master",
    "kubernetes:apps/v1:StatefulSet users-stream",
    "kubernetes:apps/v1:StatefulSet zookeeper",
    "kubernetes:batch/v1:Job airflow-migrate",
    "kubernetes:batch/v1:Job cassandra-schema",
    "kubernetes:batch/v1:Job kafka-user-airflow",
    "kubernetes:batch/v1:Job kafka-user-producer",
    "kubernetes:batch/v1:Job kafka-user-schema-registry",
    "kubernetes:batch/v1:Job kafka-user-streaming-job",
    "kubernetes:batch/v1:Job kafka-user-topic-job",
    "kubernetes:batch/v1:Job topic-users-created",
    "kubernetes:batch/v1:Job topic-users-created-dlq",
    "kubernetes:core/v1:ConfigMap cassandra-files",
    "kubernetes:core/v1:ConfigMap cassandra-schema-files",
    "kubernetes:core/v1:Namespace kubernetes-namespace",
    "kubernetes:core/v1:PersistentVolumeClaimPatch airflow-postgres-data-0-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch cassandra-data-0-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch cassandra-data-1-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch cassandra-data-2-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch kafka-data-0-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch kafka-data-1-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch kafka-data-2-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch users-stream-checkpoints-0-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch zookeeper-data-0-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch zookeeper-data-1-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch zookeeper-data-2-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch zookeeper-log-0-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch zookeeper-log-1-size",
    "kubernetes:core/v1:PersistentVolumeClaimPatch zookeeper-log-2-size",
    "kubernetes:core/v1:Secret airflow-database",
    "kubernetes:core/v1:Secret airflow-secrets",
    "kubernetes:core/v1:Secret cassandra-credentials",
    "kubernetes:core/v1:Secret kafka-user-admin",
    "kubernetes:core/v1:Secret kafka-user-airflow",
    "kubernetes:core/v1:Secret kafka-user-producer",
    "kubernetes:core/v1:Secret kafka-user-schema-registry",
    "kubernetes:core/v1:Secret kafka-user-streaming-job",
    "kubernetes:core/v1:Secret kafka-user-topic-job",
    "kubernetes:core/v1:Service airflow-api-server-service",
    "kubernetes:core/v1:Service airflow-postgres-headless",
    "kubernetes:core/v1:Service airflow-postgres-service",
    "kubernetes:core/v1:Service cassandra-headless",
    "kubernetes:core/v1:Service cassandra-service",
    "kubernetes:core/v1:Service kafka-headless",
    "kubernetes:core/v1:Service kafka-service",
    "kubernetes:core/v1:Service schema-registry-service",
    "kubernetes:core/v1:Service spark-master-headless",
    "kubernetes:core/v1:Service spark-master-service",
    "kubernetes:core/v1:Service spark-worker-service",
    "kubernetes:core/v1:Service users-stream-headless",
    "kubernetes:core/v1:Service users-stream-service",
    "kubernetes:core/v1:Service zookeeper-headless",
    "kubernetes:core/v1:Service zookeeper-service",
    "kubernetes:core/v1:ServiceAccount pod-launcher",
    "kubernetes:core/v1:ServiceAccount producer",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-api-server-from-airflow-dag-processor",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-api-server-from-airflow-scheduler",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-api-server-from-airflow-triggerer",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-api-server-to-airflow-postgres",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-dag-processor-to-airflow-api-server",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-dag-processor-to-airflow-postgres",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-migrate-to-airflow-postgres",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-postgres-from-airflow-api-server",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-postgres-from-airflow-dag-processor",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-postgres-from-airflow-migrate",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-postgres-from-airflow-scheduler",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-postgres-from-airflow-triggerer",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-scheduler-to-airflow-api-server",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-scheduler-to-airflow-postgres",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-scheduler-to-cassandra",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-scheduler-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-scheduler-to-kubernetes-api",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-triggerer-to-airflow-api-server",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy airflow-triggerer-to-airflow-postgres",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy allow-dns",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-from-airflow-scheduler",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-from-cassandra",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-from-cassandra-schema",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-from-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-from-users-stream",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-schema-to-cassandra",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy cassandra-to-cassandra",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy default-deny",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-airflow-scheduler",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-kafka-user-airflow",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-kafka-user-producer",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-kafka-user-schema-registry",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-kafka-user-streaming-job",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-kafka-user-topic-job",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-producer",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-schema-registry",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-topic-users-created",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-topic-users-created-dlq",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-from-users-stream",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-to-zookeeper",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-user-airflow-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-user-producer-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-user-schema-registry-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-user-streaming-job-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy kafka-user-topic-job-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy producer-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy schema-registry-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-master-from-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-master-from-users-stream",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-master-to-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-master-to-users-stream",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-from-spark-master",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-from-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-from-users-stream",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-to-cassandra",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-to-spark-master",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-to-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-worker-to-users-stream",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy topic-users-created-dlq-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy topic-users-created-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy users-stream-from-spark-master",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy users-stream-from-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy users-stream-to-cassandra",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy users-stream-to-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy users-stream-to-spark-master",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy users-stream-to-spark-worker",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy zookeeper-from-kafka",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy zookeeper-from-zookeeper",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy zookeeper-to-zookeeper",
    "kubernetes:policy/v1:PodDisruptionBudget cassandra",
    "kubernetes:policy/v1:PodDisruptionBudget kafka",
    "kubernetes:policy/v1:PodDisruptionBudget spark-worker",
    "kubernetes:policy/v1:PodDisruptionBudget zookeeper",
    "kubernetes:rbac.authorization.k8s.io/v1:Role pod-launcher",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding pod-launcher",
    "random:index/randomBytes:RandomBytes pipeline-airflow-fernet-key",
    "random:index/randomPassword:RandomPassword pipeline-airflow-admin-password",
    "random:index/randomPassword:RandomPassword pipeline-airflow-api-secret-key",
    "random:index/randomPassword:RandomPassword pipeline-airflow-database-password",
    "random:index/randomPassword:RandomPassword pipeline-airflow-jwt-secret",
    "random:index/randomPassword:RandomPassword pipeline-cassandra-admin-password",
    "random:index/randomPassword:RandomPassword pipeline-cassandra-app-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-admin-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-airflow-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-producer-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-schema-registry-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-streaming-job-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-topic-job-password",
  ]);
});

test.serial("every Kubernetes object is valid against the Kubernetes OpenAPI schema", async (t) => {
  const variants = [
    stackFileConfig("staging"),
    { ...stackFileConfig("staging"), controlCenter: { enabled: true }, kafka: { mode: "kraft", brokers: 3 } },
  ];
  let validated = 0;
  for (const config of variants) {
    resetRegistered();
    deployStack(config);
    const objects = kubernetesObjects(await settle());
    t.true(objects.length >= 9);
    for (const object of objects) {
      await t.notThrowsAsync(validateKubernetesObject(object), `${object.type} ${object.name}`);
      validated++;
    }
  }
  t.true(validated >= 45, `validated ${validated} objects`);
});

test.serial("the schema check can fail: a StatefulSet without a selector is refused", async (t) => {
  const invalid = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "x" },
    spec: { replicas: "three", template: {} },
  };
  await t.throwsAsync(validateKubernetesObject({ type: "kubernetes:apps/v1:StatefulSet", inputs: invalid }));
});

test.serial(
  "brokers: a StatefulSet with per-broker ids and per-broker Service DNS names, never localhost",
  async (t) => {
    const outputs = deployStack(stackFileConfig("staging"));
    const resources = await settle();
    const kafka = findResource(resources, ":StatefulSet", "kafka");
    t.is(kafka.inputs.spec.replicas, 3);
    t.is(kafka.inputs.spec.serviceName, "kafka-headless");
    const container = mainContainer(kafka);
    t.deepEqual(container.command.slice(0, 2), ["bash", "-c"]);
    const script: string = container.command[2];
    t.true(script.startsWith('ORDINAL="${HOSTNAME##*-}"'));
    t.true(script.includes('export KAFKA_BROKER_ID="${ORDINAL}"'));
    t.true(
      script.includes(
        'export KAFKA_ADVERTISED_LISTENERS="INTERNAL://kafka-${ORDINAL}.kafka-headless.data-pipeline-staging.svc.cluster.local:9092"',
      ),
    );
    // The start-up shell execs the broker's own start script (the admin's SCRAM credential, then cp's run).
    t.deepEqual(container.args.slice(0, 2), ["bash", "-c"]);
    t.true(container.args[2].endsWith("exec /etc/confluent/docker/run"));
    t.is(
      podEnv(kafka)["KAFKA_ZOOKEEPER_CONNECT"],
      [0, 1, 2]
        .map((i) => `zookeeper-${i}.zookeeper-headless.data-pipeline-staging.svc.cluster.local:2181`)
        .join(","),
    );
    t.is(podEnv(kafka)["KAFKA_MIN_INSYNC_REPLICAS"], "2");
    t.is(
      await valueOf(outputs.bootstrapServers),
      [0, 1, 2]
        .map((i) => `kafka-${i}.kafka-headless.data-pipeline-staging.svc.cluster.local:9092`)
        .join(","),
    );
    t.is(await valueOf(outputs.hostBootstrapServers), undefined);
    t.is(
      await valueOf(outputs.schemaRegistryUrl),
      "http://schema-registry.data-pipeline-staging.svc.cluster.local:8081",
    );
    for (const object of kubernetesObjects(resources)) {
      t.false(
        /localhost|127\.0\.0\.1/.test(JSON.stringify(object.inputs)),
        `${object.name} mentions localhost`,
      );
    }
  },
);

test.serial("ZooKeeper ensemble: ids from the ordinal, servers by per-pod DNS", async (t) => {
  deployStack(stackFileConfig("staging"));
  const zookeeper = findResource(await settle(), ":StatefulSet", "zookeeper");
  t.true(mainContainer(zookeeper).command[2].includes('export ZOOKEEPER_SERVER_ID="$((ORDINAL+1))"'));
  t.is(
    podEnv(zookeeper)["ZOOKEEPER_SERVERS"],
    [0, 1, 2]
      .map((i) => `zookeeper-${i}.zookeeper-headless.data-pipeline-staging.svc.cluster.local:2888:3888`)
      .join(";"),
  );
});

test.serial("Schema Registry, Control Center and the topic job find Kafka by Service DNS", async (t) => {
  deployStack({ ...stackFileConfig("staging"), controlCenter: { enabled: true } });
  const resources = await settle();
  const bootstrap = [0, 1, 2].map(
    (i) => `kafka-${i}.kafka-headless.data-pipeline-staging.svc.cluster.local:9092`,
  );
  const registry = findResource(resources, ":Deployment", "schema-registry");
  t.is(
    podEnv(registry)["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"],
    bootstrap.map((server) => `SASL_PLAINTEXT://${server}`).join(","),
  );
  t.is(podEnv(registry)["SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR"], "3");
  const controlCenter = findResource(resources, ":Deployment", "control-center");
  t.is(podEnv(controlCenter)["CONTROL_CENTER_BOOTSTRAP_SERVERS"], bootstrap.join(","));
  t.is(
    podEnv(controlCenter)["CONTROL_CENTER_SCHEMA_REGISTRY_URL"],
    "http://schema-registry.data-pipeline-staging.svc.cluster.local:8081",
  );
  const job = findResource(resources, ":Job", "topic-users-created");
  t.like(podEnv(job), {
    BOOTSTRAP_SERVERS: bootstrap.join(","),
    TOPIC: "users_created",
    PARTITIONS: "6",
    REPLICATION_FACTOR: "3",
  });
  t.is(job.inputs.spec.template.spec.restartPolicy, "Never");
  t.is(job.inputs.spec.backoffLimit, 6);
});

test.serial(
  "pods run non-root with requests, limits and probes; volumes use the stack's storage class",
  async (t) => {
    deployStack(stackFileConfig("staging"));
    const resources = await settle();
    const workloads = resources.filter((resource) => /:(StatefulSet|Deployment|Job)$/.test(resource.type));
    // 16, and the jobs of five Kafka principals (Control Center is off on staging).
    t.is(workloads.length, 21);
    for (const workload of workloads) {
      const pod = workload.inputs.spec.template.spec;
      t.true(pod.securityContext.runAsNonRoot, workload.name);
      t.true(pod.securityContext.runAsUser > 0, workload.name);
      t.false(pod.enableServiceLinks, workload.name);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        t.truthy(container.resources.requests.memory, `${workload.name}/${container.name} memory request`);
        t.truthy(container.resources.limits.memory, `${workload.name}/${container.name} memory limit`);
        t.false(container.securityContext.allowPrivilegeEscalation);
      }
    }
    for (const name of ["zookeeper", "kafka"]) {
      const container = mainContainer(findResource(resources, ":StatefulSet", name));
      t.truthy(container.readinessProbe.tcpSocket, name);
      t.truthy(container.livenessProbe.tcpSocket, name);
      t.truthy(container.startupProbe.tcpSocket, name);
      const claims = findResource(resources, ":StatefulSet", name).inputs.spec.volumeClaimTemplates;
      t.true(
        claims.every(
          (claim: { spec: { storageClassName: string } }) => claim.spec.storageClassName === "standard",
        ),
      );
    }
    t.deepEqual(
      mainContainer(findResource(resources, ":Deployment", "schema-registry")).readinessProbe.httpGet,
      { path: "/subjects", port: 8081 },
    );
  },
);

test.serial(
  "start ordering: Pulumi waits on dependencies and init containers wait for their ports",
  async (t) => {
    deployStack(stackFileConfig("staging"));
    const resources = await settle();
    const kafka = findResource(resources, ":StatefulSet", "kafka");
    t.true(kafka.dependsOn.includes("zookeeper"));
    const waitKafka = kafka.inputs.spec.template.spec.initContainers[0];
    t.is(waitKafka.name, "wait-for-zookeeper");
    t.regex(waitKafka.command[2], /nc -z -w 2 zookeeper\.data-pipeline-staging\.svc\.cluster\.local 2181/);
    t.is(waitKafka.image, `busybox:${versions.busybox}`);
    const registry = findResource(resources, ":Deployment", "schema-registry");
    t.true(registry.dependsOn.includes("kafka"));
    t.is(registry.inputs.spec.template.spec.initContainers[0].name, "wait-for-kafka");
    t.true(findResource(resources, ":Job", "topic-users-created").dependsOn.includes("kafka"));
    for (const object of kubernetesObjects(resources).filter(
      (resource) => resource.type !== "kubernetes:core/v1:Namespace",
    )) {
      t.true(object.dependsOn.includes("kubernetes-namespace"), object.name);
      t.is(object.inputs.metadata.namespace, "data-pipeline-staging");
    }
  },
);
