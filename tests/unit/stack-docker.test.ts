import test from "ava";
import { envMap, findResource, registeredResources, resetRegistered, settle, valueOf } from "./support/mocks";
import { deployStack } from "../../infra/stack";
import { stackFileConfig } from "./support/stacks";
import { versions } from "../../components/versions";

test.beforeEach(() => resetRegistered());

const container = "docker:index/container:Container";

test.serial("dev stack: the exact resource set", async (t) => {
  deployStack(stackFileConfig("dev"));
  const resources = await settle();
  t.deepEqual(resources.map((resource) => `${resource.type} ${resource.name}`).sort(), [
    "data-pipeline:airflow:Airflow pipeline-airflow",
    "data-pipeline:cassandra:Cassandra pipeline-cassandra",
    "data-pipeline:control-center:ControlCenter pipeline-control-center",
    "data-pipeline:docker:DockerTarget docker",
    "data-pipeline:kafka-topic:KafkaTopic pipeline-topic-users_created",
    "data-pipeline:kafka-topic:KafkaTopic pipeline-topic-users_created.dlq",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-airflow",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-control-center",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-producer",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-schema-registry",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-streaming-job",
    "data-pipeline:kafka-user:KafkaUser pipeline-kafka-user-topic-job",
    "data-pipeline:kafka:Kafka pipeline-kafka",
    "data-pipeline:pipeline:StreamingPipeline pipeline",
    "data-pipeline:producer:Producer pipeline-producer",
    "data-pipeline:schema-registry:SchemaRegistry pipeline-schema-registry",
    "data-pipeline:spark-cluster:SparkCluster pipeline-spark",
    "data-pipeline:spark-streaming-job:SparkStreamingJob pipeline-users-stream",
    "data-pipeline:zookeeper:ZooKeeper pipeline-zookeeper",
    "docker-build:index:Image data-pipeline-airflow-image",
    "docker-build:index:Image data-pipeline-producer-image",
    "docker-build:index:Image data-pipeline-spark-job-image",
    "docker:index/container:Container airflow-api-server",
    "docker:index/container:Container airflow-dag-processor",
    "docker:index/container:Container airflow-migrate",
    "docker:index/container:Container airflow-postgres-0",
    "docker:index/container:Container airflow-scheduler",
    "docker:index/container:Container airflow-triggerer",
    "docker:index/container:Container cassandra-0",
    "docker:index/container:Container cassandra-schema",
    "docker:index/container:Container control-center",
    "docker:index/container:Container docker-socket-proxy",
    "docker:index/container:Container kafka-0",
    "docker:index/container:Container kafka-user-airflow",
    "docker:index/container:Container kafka-user-control-center",
    "docker:index/container:Container kafka-user-producer",
    "docker:index/container:Container kafka-user-schema-registry",
    "docker:index/container:Container kafka-user-streaming-job",
    "docker:index/container:Container kafka-user-topic-job",
    "docker:index/container:Container schema-registry",
    "docker:index/container:Container spark-master-0",
    "docker:index/container:Container spark-worker",
    "docker:index/container:Container topic-users-created",
    "docker:index/container:Container topic-users-created-dlq",
    "docker:index/container:Container users-stream-0",
    "docker:index/container:Container zookeeper-0",
    "docker:index/network:Network docker-network",
    `docker:index/remoteImage:RemoteImage image-cassandra-${versions.cassandra}`,
    `docker:index/remoteImage:RemoteImage image-confluentinc-cp-enterprise-control-center-${versions.confluentPlatform}`,
    `docker:index/remoteImage:RemoteImage image-confluentinc-cp-kafka-${versions.confluentPlatform}`,
    `docker:index/remoteImage:RemoteImage image-confluentinc-cp-schema-registry-${versions.confluentPlatform}`,
    `docker:index/remoteImage:RemoteImage image-confluentinc-cp-zookeeper-${versions.confluentPlatform}`,
    `docker:index/remoteImage:RemoteImage image-postgres-${versions.postgres}-${versions.debian}`,
    `docker:index/remoteImage:RemoteImage image-tecnativa-docker-socket-proxy-${versions.dockerSocketProxy}`,
    "docker:index/volume:Volume airflow-postgres-0-data",
    "docker:index/volume:Volume cassandra-0-data",
    "docker:index/volume:Volume kafka-0-data",
    "docker:index/volume:Volume users-stream-0-checkpoints",
    "docker:index/volume:Volume zookeeper-0-data",
    "docker:index/volume:Volume zookeeper-0-log",
    "random:index/randomBytes:RandomBytes pipeline-airflow-fernet-key",
    "random:index/randomPassword:RandomPassword pipeline-airflow-admin-password",
    "random:index/randomPassword:RandomPassword pipeline-airflow-api-secret-key",
    "random:index/randomPassword:RandomPassword pipeline-airflow-database-password",
    "random:index/randomPassword:RandomPassword pipeline-airflow-jwt-secret",
    "random:index/randomPassword:RandomPassword pipeline-cassandra-admin-password",
    "random:index/randomPassword:RandomPassword pipeline-cassandra-app-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-admin-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-airflow-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-control-center-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-producer-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-schema-registry-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-streaming-job-password",
    "random:index/randomPassword:RandomPassword pipeline-kafka-user-topic-job-password",
  ]);
});

test.serial(
  "dev stack: wiring of ZooKeeper, brokers, Schema Registry, Control Center and the topic job",
  async (t) => {
    const outputs = deployStack(stackFileConfig("dev"));
    const resources = await settle();
    const zookeeper = envMap(findResource(resources, container, "zookeeper-0").inputs.envs);
    t.is(zookeeper["ZOOKEEPER_SERVER_ID"], "1");
    t.is(zookeeper["ZOOKEEPER_CLIENT_PORT"], "2181");

    const kafka = envMap(findResource(resources, container, "kafka-0").inputs.envs);
    t.is(kafka["KAFKA_BROKER_ID"], "0");
    t.is(kafka["KAFKA_ZOOKEEPER_CONNECT"], "zookeeper-0:2181");
    t.is(kafka["KAFKA_ADVERTISED_LISTENERS"], "INTERNAL://kafka-0:9092,HOST://localhost:9094");
    t.is(kafka["KAFKA_LISTENERS"], "INTERNAL://0.0.0.0:9092,HOST://0.0.0.0:9094");
    t.is(kafka["KAFKA_INTER_BROKER_LISTENER_NAME"], "INTERNAL");
    t.is(kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"], "false");

    const registry = envMap(findResource(resources, container, "schema-registry").inputs.envs);
    t.is(registry["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"], "SASL_PLAINTEXT://kafka-0:9092");

    const controlCenter = envMap(findResource(resources, container, "control-center").inputs.envs);
    t.is(controlCenter["CONTROL_CENTER_BOOTSTRAP_SERVERS"], "kafka-0:9092");
    t.is(controlCenter["CONTROL_CENTER_SCHEMA_REGISTRY_URL"], "http://schema-registry:8081");

    const topicJob = findResource(resources, container, "topic-users-created");
    t.like(envMap(topicJob.inputs.envs), {
      BOOTSTRAP_SERVERS: "kafka-0:9092",
      TOPIC: "users_created",
      PARTITIONS: "3",
      REPLICATION_FACTOR: "1",
      RETENTION_MS: String(168 * 3_600_000),
    });
    t.true(topicJob.inputs.attach, "the topic job runs to completion before dependents");
    t.false(topicJob.inputs.mustRun);
    t.deepEqual(topicJob.inputs.entrypoints.slice(0, 2), ["bash", "-c"]);
    t.regex(topicJob.inputs.entrypoints[2], /kafka-topics .*--create --if-not-exists/);

    t.is(await valueOf(outputs.bootstrapServers), "kafka-0:9092");
    t.is(await valueOf(outputs.hostBootstrapServers), "localhost:9094");
    t.is(await valueOf(outputs.schemaRegistryUrl), "http://schema-registry:8081");
    t.is(await valueOf(outputs.schemaRegistryHostUrl), "http://localhost:8081");
    t.is(await valueOf(outputs.controlCenterUrl), "http://localhost:9021");
  },
);

test.serial("no localhost address reaches an in-network client", async (t) => {
  deployStack({ ...stackFileConfig("dev"), kafka: { brokers: 3, hostPort: 19094 } });
  const resources = await settle();
  const containers = resources.filter((resource) => resource.type === container);
  t.true(containers.length >= 6);
  for (const resource of containers) {
    for (const [key, value] of Object.entries(envMap(resource.inputs.envs))) {
      for (const entry of value.split(",")) {
        if (!/localhost|127\.0\.0\.1/.test(entry)) continue;
        // The only localhost address is the host listener advertised to clients outside the network.
        t.true(
          key === "KAFKA_ADVERTISED_LISTENERS" && entry.startsWith("HOST://localhost:"),
          `${resource.name} ${key}=${entry}`,
        );
      }
    }
  }
});

test.serial("three brokers on Docker: one container, id, volume and host port per broker", async (t) => {
  const outputs = deployStack({ ...stackFileConfig("dev"), kafka: { brokers: 3, hostPort: 19094 } });
  const resources = await settle();
  for (const ordinal of [0, 1, 2]) {
    const broker = findResource(resources, container, `kafka-${ordinal}`);
    const env = envMap(broker.inputs.envs);
    t.is(env["KAFKA_BROKER_ID"], String(ordinal));
    t.is(
      env["KAFKA_ADVERTISED_LISTENERS"],
      `INTERNAL://kafka-${ordinal}:9092,HOST://localhost:${19094 + ordinal}`,
    );
    t.deepEqual(broker.inputs.ports, [
      { internal: 9094, external: 19094 + ordinal, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    t.deepEqual(broker.inputs.networksAdvanced[0].aliases, ["kafka", `kafka-${ordinal}`]);
    t.is(broker.inputs.volumes[0].volumeName, `dev-kafka-${ordinal}-data`);
  }
  t.is(await valueOf(outputs.bootstrapServers), "kafka-0:9092,kafka-1:9092,kafka-2:9092");
  t.is(await valueOf(outputs.hostBootstrapServers), "localhost:19094,localhost:19095,localhost:19096");
  t.is(
    envMap(findResource(resources, container, "kafka-1").inputs.envs)[
      "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"
    ],
    "3",
  );
});

test.serial(
  "every published port binds to 127.0.0.1 by default, to the stack's hostIp when set",
  async (t) => {
    deployStack(stackFileConfig("dev"));
    let resources = await settle();
    const published = resources
      .filter((resource) => resource.type === container)
      .flatMap((resource) => resource.inputs.ports ?? []);
    t.deepEqual(
      published.map((port: { external: number }) => port.external).sort(),
      [8080, 8081, 8088, 9021, 9042, 9094],
    );
    t.true(published.every((port: { ip: string }) => port.ip === "127.0.0.1"));

    resetRegistered();
    deployStack({ ...stackFileConfig("dev"), docker: { hostIp: "0.0.0.0" } });
    resources = await settle();
    t.is(findResource(resources, container, "kafka-0").inputs.ports[0].ip, "0.0.0.0");
  },
);

test.serial("start ordering: each service starts after what it needs is healthy", async (t) => {
  deployStack(stackFileConfig("dev"));
  const resources = await settle();
  const dependsOn = (name: string) => findResource(resources, container, name).dependsOn;
  t.true(dependsOn("kafka-0").includes("zookeeper-0"));
  t.true(dependsOn("schema-registry").includes("kafka-0"));
  t.true(dependsOn("control-center").includes("kafka-0"));
  t.true(dependsOn("control-center").includes("schema-registry"));
  t.true(dependsOn("topic-users-created").includes("kafka-0"));
  for (const name of ["zookeeper-0", "kafka-0", "schema-registry", "control-center"]) {
    const inputs = findResource(resources, container, name).inputs;
    t.true(inputs.wait, `${name} is created only once healthy`);
    t.truthy(inputs.healthcheck.tests, name);
  }
});

test.serial("KRaft mode: no ZooKeeper, combined broker and controller, generated cluster id", async (t) => {
  deployStack({
    ...stackFileConfig("dev"),
    kafka: { mode: "kraft", brokers: 3, hostPort: 19094 },
    controlCenter: { enabled: false },
  });
  const resources = await settle();
  t.false(resources.some((resource) => resource.name.startsWith("zookeeper")));
  t.truthy(findResource(resources, "randomId:RandomId", "pipeline-kafka-cluster-id"));
  const env = envMap(findResource(resources, container, "kafka-2").inputs.envs);
  t.is(env["KAFKA_NODE_ID"], "2");
  t.is(env["KAFKA_PROCESS_ROLES"], "broker,controller");
  t.is(env["KAFKA_CONTROLLER_QUORUM_VOTERS"], "0@kafka-0:9093,1@kafka-1:9093,2@kafka-2:9093");
  t.is(env["KAFKA_LISTENERS"], "INTERNAL://0.0.0.0:9092,HOST://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093");
  t.false(env["KAFKA_ADVERTISED_LISTENERS"]?.includes("CONTROLLER"));
  t.regex(env["CLUSTER_ID"] ?? "", /^[A-Za-z0-9_-]{22}$/, "a 16-byte base64url cluster id");
  t.false("KAFKA_ZOOKEEPER_CONNECT" in env);
});

test.serial("a refused config registers no resource", async (t) => {
  t.throws(() => deployStack({ target: "docker", kafka: { brokers: 0 } }), {
    message: /data-pipeline:kafka.brokers = 0/,
  });
  t.is((await settle()).length, 0);
  t.is(registeredResources().length, 0);
});
