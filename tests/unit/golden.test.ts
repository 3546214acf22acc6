/**
 * Golden output per component per target ("gets defaults"), as kompose keeps one expected output
 * per target for each input. Review a changed snapshot like code: `npx ava -u` rewrites them.
 */
import test from "ava";
import { registeredResources, resetRegistered, settle } from "./support/mocks";
import type { RegisteredResource } from "./support/mocks";
import {
  Airflow,
  Cassandra,
  ControlCenter,
  Kafka,
  KafkaTopic,
  KafkaUser,
  pipelineAcls,
  Producer,
  SchemaRegistry,
  SparkCluster,
  SparkStreamingJob,
  ZooKeeper,
} from "../../components";
import type { Target } from "../../components";
import { DockerTarget } from "../../infra/docker";
import { KubernetesTarget } from "../../infra/kubernetes";

test.beforeEach(() => resetRegistered());

const targets: Record<string, () => Target> = {
  docker: () => new DockerTarget("docker"),
  kubernetes: () =>
    new KubernetesTarget("kubernetes", {
      namespace: "data-pipeline",
      imageRegistry: "registry.example.com/team",
    }),
};

/** The resources a component created (its descendants), in a stable order. */
function ownedBy(componentName: string, resources: readonly RegisteredResource[]) {
  const names = new Set([componentName]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const resource of resources) {
      if (names.has(resource.parent) && !names.has(resource.name)) {
        names.add(resource.name);
        grew = true;
      }
    }
  }
  return resources
    .filter((resource) => names.has(resource.name) && resource.name !== componentName)
    .map(({ type, name, inputs, dependsOn }) => ({ type, name, inputs, dependsOn: [...dependsOn].sort() }))
    .sort((a, b) => `${a.type}/${a.name}`.localeCompare(`${b.type}/${b.name}`));
}

/** Builds the Kafka family with defaults and returns each component's name. */
function buildAll(target: Target): Record<string, string> {
  // Component names differ from the service names so ownership by parent name is unambiguous.
  const zookeeper = new ZooKeeper("golden-zookeeper", { target });
  const kafka = new Kafka("golden-kafka", { target, zookeeper, hostPort: 9094 });
  // Kafka authenticates by default: each client gets its principal, with the pipeline's ACLs.
  const acls = pipelineAcls({
    usersTopic: "users_created",
    deadLetterTopic: "users_created.dlq",
    managedTopics: ["users_created"],
    jobGroupPrefix: "users-stream",
  });
  const user = (principal: keyof typeof acls) =>
    new KafkaUser(`golden-user-${principal}`, { target, kafka, username: principal, acls: acls[principal] })
      .credentials;
  const producerUser = new KafkaUser("golden-kafka-user", {
    target,
    kafka,
    username: "producer",
    acls: acls.producer,
  });
  const schemaRegistry = new SchemaRegistry("golden-schema-registry", {
    target,
    kafka,
    hostPort: 8081,
    credentials: user("schema-registry"),
  });
  new ControlCenter("golden-control-center", {
    target,
    kafka,
    schemaRegistry,
    hostPort: 9021,
    credentials: user("control-center"),
  });
  const topic = new KafkaTopic("golden-topic", {
    target,
    kafka,
    topicName: "users_created",
    credentials: user("topic-job"),
  });
  const cassandra = new Cassandra("golden-cassandra", { target, hostPort: 9042 });
  const cluster = new SparkCluster("golden-spark", { target, masterUiHostPort: 8080 });
  // Fixed tag and context: the golden output must not depend on the checkout's path or contents.
  const build = { imageTag: "golden", buildContext: "/build" };
  new SparkStreamingJob("golden-stream", {
    target,
    cluster,
    kafka,
    topic,
    cassandra,
    credentials: user("streaming-job"),
    ...build,
  });
  const producer = new Producer("golden-producer", {
    target,
    kafka,
    topic,
    credentials: producerUser.credentials,
    ...build,
  });
  new Airflow("golden-airflow", {
    target,
    kafka,
    topic,
    cassandra,
    producer,
    hostPort: 8088,
    credentials: user("airflow"),
    ...build,
  });
  return {
    ZooKeeper: "golden-zookeeper",
    Kafka: "golden-kafka",
    SchemaRegistry: "golden-schema-registry",
    ControlCenter: "golden-control-center",
    KafkaTopic: "golden-topic",
    KafkaUser: "golden-kafka-user",
    Cassandra: "golden-cassandra",
    SparkCluster: "golden-spark",
    SparkStreamingJob: "golden-stream",
    Producer: "golden-producer",
    Airflow: "golden-airflow",
  };
}

for (const [targetName, makeTarget] of Object.entries(targets)) {
  test.serial(`${targetName}: every component gets defaults (golden)`, async (t) => {
    const components = buildAll(makeTarget());
    const resources = await settle();
    t.true(registeredResources().length > 0);
    for (const [component, name] of Object.entries(components)) {
      const owned = ownedBy(name, resources);
      t.true(owned.length > 0, `${component} created nothing`);
      t.snapshot(owned, `${targetName} ${component}`);
    }
  });
}

test.serial("golden ownership follows the version passed (the snapshot would change)", async (t) => {
  const target = new DockerTarget("docker");
  new ZooKeeper("golden-zookeeper", { target, version: "7.9.4" });
  const owned = ownedBy("golden-zookeeper", await settle());
  const container = owned.find((resource) => resource.type === "docker:index/container:Container");
  t.is(container?.inputs.image, "sha256:image-confluentinc-cp-zookeeper-7.9.4");
});
