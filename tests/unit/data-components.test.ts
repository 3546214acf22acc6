/**
 * Cassandra, the Spark cluster, the streaming job and the producer image inside the committed stacks.
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
  valueOf,
} from "./support/mocks";
import { deployStack } from "../../infra/stack";
import { DockerTarget } from "../../infra/docker/target";
import { StreamingPipeline } from "../../components/pipeline";
import { mainContainer, podEnv } from "./support/pods";
import { stackFileConfig } from "./support/stacks";

test.beforeEach(() => resetRegistered());

const container = "docker:index/container:Container";

test.serial(
  "Docker: Cassandra node, authentication, schema job from the contract, credentials as secrets",
  async (t) => {
    const outputs = deployStack(stackFileConfig("dev"));
    const resources = await settle();
    const node = findResource(resources, container, "cassandra-0");
    const env = envMap(node.inputs.envs);
    t.is(env["CASSANDRA_SEEDS"], "cassandra-0");
    t.is(env["CASSANDRA_DC"], "datacenter1");
    t.is(env["MAX_HEAP_SIZE"], "1024M");
    t.is(env["HEAP_NEWSIZE"], "256M");
    t.deepEqual(node.inputs.entrypoints.slice(0, 2), ["bash", "-c"]);
    t.regex(
      node.inputs.entrypoints[2],
      /cp \/etc\/cassandra-template\/cassandra\.yaml \/etc\/cassandra\/cassandra\.yaml && exec docker-entrypoint\.sh cassandra -f/,
    );
    const yaml: string = node.inputs.uploads[0].content;
    t.regex(yaml, /^authenticator: PasswordAuthenticator$/m);
    t.regex(yaml, /^authorizer: CassandraAuthorizer$/m);
    t.deepEqual(node.inputs.ports, [{ internal: 9042, external: 9042, ip: "127.0.0.1", protocol: "tcp" }]);

    const schema = findResource(resources, container, "cassandra-schema");
    t.true(schema.dependsOn.includes("cassandra-0"));
    t.true(isSecretEnvelope(schema.inputs.envs), "the schema job's env holds secrets");
    const schemaEnv = envMap(schema.inputs.envs);
    t.is(schemaEnv["CASSANDRA_HOST"], "cassandra-0");
    t.is(schemaEnv["ADMIN_PASSWORD"], "mock-password-pipeline-cassandra-admin-password");
    const cql: string = schema.inputs.uploads[0].content;
    t.regex(
      cql,
      /CREATE KEYSPACE IF NOT EXISTS pipeline WITH replication = \{'class': 'NetworkTopologyStrategy', 'datacenter1': 1\};/,
    );
    t.regex(cql, /CREATE TABLE IF NOT EXISTS pipeline\.users \([\s\S]*PRIMARY KEY \(id\)\s*\);/);
    t.regex(cql, /ALTER KEYSPACE system_auth/);

    t.is(outputs.cassandraContactPoints, "cassandra-0");
    t.is(outputs.cassandraHostContactPoint, "localhost:9042");
    t.is(outputs.cassandraUsername, "pipeline");
    t.true(await pulumi.isSecret(outputs.cassandraPassword));
    t.true(await pulumi.isSecret(outputs.cassandraAdminPassword));
    t.is(await valueOf(outputs.cassandraPassword), "mock-password-pipeline-cassandra-app-password");
  },
);

test.serial(
  "Docker: Spark master by its stable name, workers register with it, the job runs in client mode",
  async (t) => {
    const outputs = deployStack(stackFileConfig("dev"));
    const resources = await settle();
    const master = findResource(resources, container, "spark-master-0");
    t.is(envMap(master.inputs.envs)["SPARK_MASTER_HOST"], "spark-master-0");
    t.deepEqual(master.inputs.entrypoints, [
      "/opt/spark/bin/spark-class",
      "org.apache.spark.deploy.master.Master",
    ]);
    t.is(master.inputs.user, "185:185");
    const worker = findResource(resources, container, "spark-worker");
    t.deepEqual(worker.inputs.command, [
      "--cores",
      "2",
      "--memory",
      "2048m",
      "--webui-port",
      "8081",
      "spark://spark-master-0:7077",
    ]);
    t.is(worker.inputs.memory, 2560);
    t.true(worker.dependsOn.includes("spark-master-0"));
    t.is(outputs.sparkMasterUrl, "spark://spark-master-0:7077");
    t.is(outputs.sparkMasterUiUrl, "http://localhost:8080");

    const stream = findResource(resources, container, "users-stream-0");
    const env = envMap(stream.inputs.envs);
    t.like(env, {
      KAFKA_BOOTSTRAP_SERVERS: "kafka-0:9092",
      KAFKA_TOPIC: "users_created",
      DLQ_TOPIC: "users_created.dlq",
      CASSANDRA_HOSTS: "cassandra-0",
      CASSANDRA_USERNAME: "pipeline",
      CASSANDRA_PASSWORD: "mock-password-pipeline-cassandra-app-password",
      CASSANDRA_KEYSPACE: "pipeline",
      CASSANDRA_TABLE: "users",
      CHECKPOINT_DIR: "/checkpoints/users-stream",
      SPARK_MASTER_URL: "spark://spark-master-0:7077",
      SPARK_DRIVER_HOST: "users-stream-0",
      RECORD_FORMAT: "json",
      BATCH_ATTEMPT_TIMEOUT_SECONDS: "300",
    });
    t.false("SPARK_JVM_OPTIONS" in env, "unset: submit.sh applies the descriptor's default");
    t.is(stream.inputs.volumes[0].containerPath, "/checkpoints");
    t.is(stream.inputs.restart, "unless-stopped");
    for (const dependency of [
      "spark-master-0",
      "spark-worker",
      "topic-users-created",
      "topic-users-created-dlq",
      "cassandra-schema",
    ]) {
      t.true(stream.dependsOn.includes(dependency), `users-stream waits for ${dependency}`);
    }
    const jobImage = findResource(resources, "docker-build:index:Image", "data-pipeline-spark-job-image");
    const jobReference = jobImage.inputs.tags[0];
    t.regex(jobReference, /^data-pipeline-spark-job:3\.5\.7-[0-9a-f]{12}$/);
    t.regex(jobImage.inputs.dockerfile.location, /spark\/Dockerfile$/);
    t.false(jobImage.inputs.push);
    t.true(jobImage.inputs.load);
    // Executors run the job's Python code: master and workers run the job image too.
    t.is(worker.inputs.image, jobReference);
    t.is(master.inputs.image, jobReference);
    t.is(stream.inputs.image, jobReference);
    t.regex(await valueOf(outputs.producerImage), /^data-pipeline-producer:0\.1\.0-[0-9a-f]{12}$/);
  },
);

test.serial(
  "Kubernetes: Cassandra StatefulSet with seeds, the password only in a Secret, Spark and the job by Service DNS",
  async (t) => {
    const outputs = deployStack(stackFileConfig("staging"));
    const resources = await settle();
    const domain = "data-pipeline-staging.svc.cluster.local";
    const cassandra = findResource(resources, ":StatefulSet", "cassandra");
    t.is(cassandra.inputs.spec.replicas, 3);
    t.is(
      podEnv(cassandra)["CASSANDRA_SEEDS"],
      `cassandra-0.cassandra-headless.${domain},cassandra-1.cassandra-headless.${domain}`,
    );
    t.is(podEnv(cassandra)["MAX_HEAP_SIZE"], "2048M");
    const secret = findResource(resources, ":Secret", "cassandra-credentials");
    t.true(isSecretEnvelope(secret.inputs.stringData));
    t.deepEqual(Object.keys(unwrapSecrets(secret.inputs.stringData) as object).sort(), [
      "admin-password",
      "app-password",
    ]);
    const schema = findResource(resources, ":Job", "cassandra-schema");
    t.deepEqual(podEnv(schema)["ADMIN_PASSWORD"], {
      secretKeyRef: { name: "cassandra-credentials", key: "admin-password" },
    });
    t.regex(
      findResource(resources, ":ConfigMap", "cassandra-schema-files").inputs.data["schema.cql"],
      /'datacenter1': 3/,
    );
    const stream = findResource(resources, ":StatefulSet", "users-stream");
    t.deepEqual(podEnv(stream)["CASSANDRA_PASSWORD"], {
      secretKeyRef: { name: "cassandra-credentials", key: "app-password" },
    });
    t.regex(
      mainContainer(stream).command[2],
      new RegExp(
        `export SPARK_DRIVER_HOST="users-stream-\\$\\{ORDINAL\\}\\.users-stream-headless\\.${domain.replace(/\./g, "\\.")}"`,
      ),
    );
    t.deepEqual(mainContainer(stream).args, ["/opt/app/submit.sh"]);
    t.regex(
      mainContainer(stream).image,
      /^registry\.example\.com\/data-pipeline\/data-pipeline-spark-job:3\.5\.7-[0-9a-f]{12}$/,
    );
    t.is(stream.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "5Gi");
    t.is(podEnv(stream)["BATCH_ATTEMPT_TIMEOUT_SECONDS"], "300");
    t.is(findResource(resources, ":Deployment", "spark-worker").inputs.spec.replicas, 2);
    t.is(outputs.sparkMasterUrl, `spark://spark-master-0.spark-master-headless.${domain}:7077`);
    t.is(outputs.cassandraHostContactPoint, undefined);
    t.false(JSON.stringify(stream.inputs).includes("mock-password"), "no password in a pod spec");
    t.true(findResource(resources, "docker-build:index:Image", "data-pipeline-producer-image").inputs.push);
  },
);

test.serial(
  "streamingJob.batchAttemptTimeoutSeconds reaches the job's BATCH_ATTEMPT_TIMEOUT_SECONDS",
  async (t) => {
    const raw = stackFileConfig("staging");
    deployStack({
      ...raw,
      streamingJob: { ...(raw["streamingJob"] as object), batchAttemptTimeoutSeconds: 900 },
    });
    const resources = await settle();
    t.is(
      podEnv(findResource(resources, ":StatefulSet", "users-stream"))["BATCH_ATTEMPT_TIMEOUT_SECONDS"],
      "900",
    );
  },
);

test.serial("SparkStreamingJob: jvmOptions reach the container's SPARK_JVM_OPTIONS", async (t) => {
  const target = new DockerTarget("local", { prefix: "mine" });
  const options = "-XX:+UseG1GC -XX:MaxGCPauseMillis=100";
  new StreamingPipeline("events", { target, streamingJob: { jvmOptions: options } });
  const resources = await settle();
  t.is(
    envMap(findResource(resources, container, "users-stream-0").inputs.envs)["SPARK_JVM_OPTIONS"],
    options,
  );
});

test.serial("SparkStreamingJob refuses a batch attempt timeout the job would refuse", (t) => {
  const target = new DockerTarget("local", { prefix: "mine" });
  t.throws(
    () => new StreamingPipeline("events", { target, streamingJob: { batchAttemptTimeoutSeconds: 2.5 } }),
    { message: /batchAttemptTimeoutSeconds 2\.5 is not an integer from 10 to 86400/ },
  );
});

test.serial("Airflow refuses a variable the DAG would refuse, naming it (the descriptors' bounds)", (t) => {
  const target = new DockerTarget("local", { prefix: "mine" });
  t.throws(() => new StreamingPipeline("events", { target, airflow: { verifyTimeoutSeconds: 0 } }), {
    message:
      /Unable to create Airflow events-airflow: the DAG's variables: AIRFLOW_VAR_VERIFY_TIMEOUT_SECONDS 0 is not an integer >= 1\./,
  });
});
