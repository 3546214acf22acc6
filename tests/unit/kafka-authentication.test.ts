/**
 * Kafka SASL/SCRAM-SHA-512 and ACLs on both targets and in both metadata modes: the brokers'
 * listeners, authorizer and super user; one KafkaUser per pipeline principal with exactly its ACLs;
 * every client wired to its own principal, after its user job; passwords only ever as secrets (never
 * in a Kubernetes object other than a Secret, never in a plain Docker env entry or command); and
 * `kafka.authentication: none` as today's plaintext setup.
 */
import * as fs from "node:fs";
import * as path from "node:path";
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
import type { RegisteredResource } from "./support/mocks";
import { podEnv, mainContainer } from "./support/pods";
import { stackFileConfig } from "./support/stacks";
import { deployStack, pipelineArgsFrom } from "../../infra/stack";
import { parseStackConfig } from "../../infra/config";
import { DockerTarget } from "../../infra/docker";
import { containerEnvironment, dockerReplicaIdentity } from "../../infra/docker/render";
import { KubernetesTarget } from "../../infra/kubernetes";
import {
  Kafka,
  KafkaTopic,
  KafkaUser,
  SchemaRegistry,
  StreamingPipeline,
  kafkaAclsAddArguments,
  listenersFor,
  pipelineAcls,
  pipelinePrincipals,
} from "../../components";
import type { AclRule, JobSpec, ServiceSpec, Target } from "../../components";

test.beforeEach(() => resetRegistered());

const container = "docker:index/container:Container";
const dev = () => stackFileConfig("dev");
const staging = () => stackFileConfig("staging");
/** The mocks' generated passwords all start so (support/mocks.ts). */
const password = /mock-password/;

const replica = (host: string) => ({ ordinal: "0", offset: () => "1", host, publishedPort: () => undefined });

test("listeners: SASL_PLAINTEXT on every listener with SCRAM (the controller's too), PLAINTEXT without", (t) => {
  t.is(
    listenersFor({
      replica: replica("kafka-0"),
      mode: "kraft",
      hostPort: 9094,
      authentication: "scram-sha-512",
    }).securityProtocolMap,
    "INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
  );
  t.is(
    listenersFor({ replica: replica("kafka-0"), mode: "zookeeper", authentication: "none" })
      .securityProtocolMap,
    "INTERNAL:PLAINTEXT",
  );
});

/** The `kafka-acls` arguments of a user job's script, one list per command, unquoted. */
function aclCommands(script: string): string[][] {
  return script
    .split("\n")
    .filter((line) => line.startsWith("kafka-acls "))
    .map((line) => [...line.matchAll(/'([^']*)'/g)].map((match) => match[1] as string));
}

/** The pipeline of a committed stack, built on its target (the components, not only the resources). */
function pipelineOf(raw: Record<string, unknown>): { pipeline: StreamingPipeline; target: Target } {
  const config = parseStackConfig(raw);
  const target: Target =
    config.target === "docker"
      ? new DockerTarget("docker")
      : new KubernetesTarget("kubernetes", {
          namespace: "data-pipeline",
          imageRegistry: "registry.example.com/team",
        });
  return { pipeline: new StreamingPipeline("pipeline", pipelineArgsFrom(config, target)), target };
}

for (const [stack, raw, principals] of [
  ["dev", dev, pipelinePrincipals],
  ["staging", staging, pipelinePrincipals.filter((principal) => principal !== "control-center")],
] as const) {
  test.serial(`${stack}: one KafkaUser per principal, with exactly the ACLs of pipelineAcls`, async (t) => {
    const { pipeline } = pipelineOf(raw());
    await settle();
    t.deepEqual(Object.keys(pipeline.kafkaUsers).sort(), [...principals].sort());
    const acls = pipelineAcls({
      usersTopic: "users_created",
      deadLetterTopic: "users_created.dlq",
      managedTopics: ["users_created", "users_created.dlq"],
      jobGroupPrefix: "users-stream",
    });
    for (const principal of principals) {
      const user = pipeline.kafkaUsers[principal] as KafkaUser;
      t.is(user.username, principal);
      t.is(user.secretName, `kafka-user-${principal}`);
      const script = (user.spec.command as string[])[2] as string;
      t.deepEqual(
        aclCommands(script),
        acls[principal].map((rule) => kafkaAclsAddArguments(principal, rule)),
        principal,
      );
      t.regex(
        script,
        /kafka-configs --bootstrap-server "\$BOOTSTRAP_SERVERS" --command-config .* --add-config-file/,
      );
    }
  });
}

test.serial("the ACL arguments, spelt out for the producer and the streaming job", async (t) => {
  const { pipeline } = pipelineOf(dev());
  await settle();
  const commands = (principal: "producer" | "streaming-job") =>
    aclCommands(((pipeline.kafkaUsers[principal] as KafkaUser).spec.command as string[])[2] as string);
  t.deepEqual(commands("producer"), [
    [
      "--add",
      "--allow-principal",
      "User:producer",
      "--operation",
      "Write",
      "--operation",
      "Describe",
      "--topic",
      "users_created",
      "--resource-pattern-type",
      "literal",
    ],
  ]);
  t.deepEqual(commands("streaming-job"), [
    [
      "--add",
      "--allow-principal",
      "User:streaming-job",
      "--operation",
      "Read",
      "--operation",
      "Describe",
      "--topic",
      "users_created",
      "--resource-pattern-type",
      "literal",
    ],
    [
      "--add",
      "--allow-principal",
      "User:streaming-job",
      "--operation",
      "Read",
      "--group",
      "users-stream",
      "--resource-pattern-type",
      "prefixed",
    ],
    [
      "--add",
      "--allow-principal",
      "User:streaming-job",
      "--operation",
      "Write",
      "--operation",
      "Describe",
      "--topic",
      "users_created.dlq",
      "--resource-pattern-type",
      "literal",
    ],
  ]);
});

test.serial(
  "Docker, ZooKeeper mode: SCRAM listeners, the ACL authorizer, the admin the only super user",
  async (t) => {
    const outputs = deployStack(dev());
    const resources = await settle();
    const kafka = findResource(resources, container, "kafka-0");
    const env = envMap(kafka.inputs.envs);
    t.like(env, {
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT",
      KAFKA_INTER_BROKER_LISTENER_NAME: "INTERNAL",
      KAFKA_SASL_ENABLED_MECHANISMS: "SCRAM-SHA-512",
      KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL: "SCRAM-SHA-512",
      KAFKA_LISTENER_NAME_INTERNAL_SASL_ENABLED_MECHANISMS: "SCRAM-SHA-512",
      KAFKA_LISTENER_NAME_HOST_SASL_ENABLED_MECHANISMS: "SCRAM-SHA-512",
      KAFKA_AUTHORIZER_CLASS_NAME: "kafka.security.authorizer.AclAuthorizer",
      KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "false",
      KAFKA_SUPER_USERS: "User:admin",
      SASL_ADMIN_USERNAME: "admin",
    });
    t.regex(
      env["KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"] ?? "",
      /^org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required username="admin" password="mock-password-pipeline-kafka-admin-password";$/,
    );
    t.is(
      env["KAFKA_LISTENER_NAME_HOST_SCRAM___SHA___512_SASL_JAAS_CONFIG"],
      env["KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"],
    );
    t.deepEqual(kafka.inputs.entrypoints.slice(0, 2), ["bash", "-c"]);
    const script: string = kafka.inputs.entrypoints[2];
    t.regex(
      script,
      /kafka-configs --zookeeper "\$KAFKA_ZOOKEEPER_CONNECT" --alter --entity-type users --entity-name "\$SASL_ADMIN_USERNAME" --add-config-file/,
    );
    t.true(script.endsWith("exec /etc/confluent/docker/run"));
    t.is(outputs.kafkaAuthentication, "scram-sha-512");
  },
);

test.serial(
  "KRaft: the StandardAuthorizer, a PLAIN controller listener, the admin credential formatted in",
  async (t) => {
    deployStack({ ...dev(), kafka: { mode: "kraft", brokers: 1, hostPort: 9094 } });
    const resources = await settle();
    const kafka = findResource(resources, container, "kafka-0");
    const env = envMap(kafka.inputs.envs);
    t.like(env, {
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:
        "INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
      KAFKA_AUTHORIZER_CLASS_NAME: "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: "false",
      KAFKA_SUPER_USERS: "User:admin",
      KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL: "PLAIN",
      KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS: "PLAIN",
    });
    t.regex(
      env["KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG"] ?? "",
      /PlainLoginModule required username="admin" password="mock-password-pipeline-kafka-admin-password" user_admin="mock-password-pipeline-kafka-admin-password";$/,
    );
    const script: string = kafka.inputs.entrypoints[2];
    t.deepEqual(script.split("\n").slice(1), [
      "/etc/confluent/docker/configure",
      'kafka-storage format --ignore-formatted --cluster-id "$CLUSTER_ID" --config /etc/kafka/kafka.properties --add-scram "SCRAM-SHA-512=[name=$SASL_ADMIN_USERNAME,password=$SASL_ADMIN_PASSWORD]"',
      "/etc/confluent/docker/ensure",
      "exec /etc/confluent/docker/launch",
    ]);
  },
);

for (const mode of ["zookeeper", "kraft"] as const) {
  test.serial(
    `Kubernetes, ${mode}: brokers and clients take every credential from Secrets by reference`,
    async (t) => {
      deployStack({ ...staging(), kafka: { mode, brokers: 3 }, controlCenter: { enabled: true } });
      const resources = await settle();
      const kafka = findResource(resources, ":StatefulSet", "kafka");
      const env = podEnv(kafka);
      t.is(
        env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"],
        undefined,
        "per-broker values are exported by the start-up shell",
      );
      t.true(
        (mainContainer(kafka).command[2] as string).includes(
          mode === "kraft"
            ? 'export KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"'
            : 'export KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="INTERNAL:SASL_PLAINTEXT"',
        ),
      );
      t.deepEqual(env["KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"], {
        secretKeyRef: { name: "kafka-user-admin", key: "sasl.jaas.config" },
      });
      t.deepEqual(env["SASL_ADMIN_PASSWORD"], {
        secretKeyRef: { name: "kafka-user-admin", key: "password" },
      });
      const admin = findResource(resources, ":Secret", "kafka-user-admin");
      t.true(isSecretEnvelope(admin.inputs.stringData));
      t.deepEqual(
        Object.keys(unwrapSecrets(admin.inputs.stringData) as object).sort(),
        mode === "kraft"
          ? ["controller.sasl.jaas.config", "password", "sasl.jaas.config", "username"]
          : ["password", "sasl.jaas.config", "username"],
      );
      for (const principal of pipelinePrincipals) {
        const secret = findResource(resources, ":Secret", `kafka-user-${principal}`);
        t.true(isSecretEnvelope(secret.inputs.stringData));
        const data = unwrapSecrets(secret.inputs.stringData) as Record<string, string>;
        t.deepEqual(Object.keys(data).sort(), ["password", "sasl.jaas.config", "username"]);
        t.is(data["username"], principal);
        t.true(data["sasl.jaas.config"]?.includes(`username="${principal}" password="${data["password"]}"`));
        const job = findResource(resources, ":Job", `kafka-user-${principal}`);
        t.deepEqual(podEnv(job)["USER_PASSWORD"], {
          secretKeyRef: { name: `kafka-user-${principal}`, key: "password" },
        });
        t.deepEqual(podEnv(job)["ADMIN_PASSWORD"], {
          secretKeyRef: { name: "kafka-user-admin", key: "password" },
        });
      }
      const stream = podEnv(findResource(resources, ":StatefulSet", "users-stream"));
      t.like(stream, {
        KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
        KAFKA_SASL_USERNAME: "streaming-job",
        KAFKA_GROUP_ID_PREFIX: "users-stream",
      });
      t.deepEqual(stream["KAFKA_SASL_PASSWORD"], {
        secretKeyRef: { name: "kafka-user-streaming-job", key: "password" },
      });
      const registry = podEnv(findResource(resources, ":Deployment", "schema-registry"));
      t.like(registry, {
        SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
        SCHEMA_REGISTRY_KAFKASTORE_SASL_MECHANISM: "SCRAM-SHA-512",
      });
      t.deepEqual(registry["SCHEMA_REGISTRY_KAFKASTORE_SASL_JAAS_CONFIG"], {
        secretKeyRef: { name: "kafka-user-schema-registry", key: "sasl.jaas.config" },
      });
      const controlCenter = podEnv(findResource(resources, ":Deployment", "control-center"));
      t.like(controlCenter, {
        CONTROL_CENTER_STREAMS_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
        CONTROL_CENTER_STREAMS_SASL_MECHANISM: "SCRAM-SHA-512",
      });
      t.deepEqual(controlCenter["CONTROL_CENTER_STREAMS_SASL_JAAS_CONFIG"], {
        secretKeyRef: { name: "kafka-user-control-center", key: "sasl.jaas.config" },
      });
      const topicJob = podEnv(findResource(resources, ":Job", "topic-users-created"));
      t.is(topicJob["SASL_USERNAME"], "topic-job");
      t.deepEqual(topicJob["SASL_PASSWORD"], {
        secretKeyRef: { name: "kafka-user-topic-job", key: "password" },
      });

      // No password in any object but a Secret: not in a pod spec, a command or a ConfigMap.
      for (const object of resources.filter(
        (resource) => resource.type.startsWith("kubernetes:") && !resource.type.endsWith(":Secret"),
      )) {
        t.false(password.test(JSON.stringify(unwrapSecrets(object.inputs))), `${object.type} ${object.name}`);
      }
    },
  );
}

/** Every spec of the pipeline's components. */
function specsOf(pipeline: StreamingPipeline): (ServiceSpec | JobSpec)[] {
  return [
    ...(pipeline.zookeeper ? [pipeline.zookeeper.spec] : []),
    pipeline.kafka.spec,
    ...Object.values(pipeline.kafkaUsers).map((user) => (user as KafkaUser).spec),
    pipeline.schemaRegistry.spec,
    ...(pipeline.controlCenter ? [pipeline.controlCenter.spec] : []),
    ...[...pipeline.topics, pipeline.deadLetterTopic].map((topic) => topic.spec),
    pipeline.streamingJob.spec,
    ...pipeline.airflow.specs,
  ];
}

for (const mode of ["zookeeper", "kraft"] as const) {
  test.serial(
    `Docker, ${mode}: an env entry with a password is a secret; no command holds one`,
    async (t) => {
      const { pipeline } = pipelineOf({ ...dev(), kafka: { mode, brokers: 1, hostPort: 9094 } });
      const resources = await settle();
      let secrets = 0;
      for (const spec of specsOf(pipeline)) {
        const identity =
          "replicas" in spec || "stateful" in spec ? dockerReplicaIdentity(spec, 0) : undefined;
        const hasPerReplica = Object.values(spec.env ?? {}).some(
          (value) => typeof value === "object" && value !== null && "perReplica" in value,
        );
        for (const entry of containerEnvironment(spec.env, hasPerReplica ? identity : undefined)) {
          const text = await valueOf(entry);
          if (!password.test(text)) continue;
          secrets++;
          t.true(
            await pulumi.isSecret(pulumi.output(entry)),
            `${spec.name}: ${text.slice(0, text.indexOf("="))}`,
          );
        }
      }
      // The admin's JAAS configs and bootstrap password, each user job's, each client's.
      t.true(secrets >= 20, `${secrets} secret entries`);
      for (const resource of resources.filter((r) => r.type === container)) {
        const { envs, ...rest } = resource.inputs as Record<string, unknown>;
        void envs;
        t.false(password.test(JSON.stringify(unwrapSecrets(rest))), resource.name);
      }
    },
  );
}

test.serial("every client starts after its KafkaUser job, which starts after the brokers", async (t) => {
  deployStack(dev());
  const resources = await settle();
  const dependsOn = (name: string) => findResource(resources, container, name).dependsOn;
  for (const principal of pipelinePrincipals) {
    t.true(dependsOn(`kafka-user-${principal}`).includes("kafka-0"), principal);
  }
  const clients: [string, string][] = [
    ["schema-registry", "schema-registry"],
    ["control-center", "control-center"],
    ["topic-users-created", "topic-job"],
    ["topic-users-created-dlq", "topic-job"],
    ["users-stream-0", "streaming-job"],
    ["airflow-scheduler", "airflow"],
    ["airflow-scheduler", "producer"],
  ];
  for (const [client, principal] of clients) {
    t.true(dependsOn(client).includes(`kafka-user-${principal}`), `${client} after kafka-user-${principal}`);
  }
  const stream = envMap(findResource(resources, container, "users-stream-0").inputs.envs);
  t.like(stream, {
    KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
    KAFKA_SASL_USERNAME: "streaming-job",
    KAFKA_SASL_PASSWORD: "mock-password-pipeline-kafka-user-streaming-job-password",
    KAFKA_GROUP_ID_PREFIX: "users-stream",
  });
});

test.serial(
  "stack outputs: every principal's credentials, the admin's included, as one secret",
  async (t) => {
    const outputs = deployStack(dev());
    await settle();
    t.truthy(outputs.kafkaCredentials);
    t.true(await pulumi.isSecret(outputs.kafkaCredentials as pulumi.Output<unknown>));
    const credentials = await valueOf(outputs.kafkaCredentials as pulumi.Output<Record<string, unknown>>);
    t.deepEqual(Object.keys(credentials).sort(), ["admin", ...pipelinePrincipals].sort());
    t.deepEqual(credentials["admin"], {
      username: "admin",
      password: "mock-password-pipeline-kafka-admin-password",
    });
    t.deepEqual(credentials["producer"], {
      username: "producer",
      password: "mock-password-pipeline-kafka-user-producer-password",
    });
  },
);

for (const [stack, raw] of [
  ["dev", dev],
  ["staging", staging],
] as const) {
  test.serial(`${stack} with kafka.authentication none: today's plaintext setup, no principal`, async (t) => {
    const outputs = deployStack({
      ...raw(),
      kafka: { ...(raw()["kafka"] as object), authentication: "none" },
    });
    const resources = await settle();
    t.deepEqual(
      resources
        .filter((resource) => /kafka-user|kafka-admin/.test(resource.name))
        .map((resource) => resource.name),
      [],
    );
    t.is(outputs.kafkaAuthentication, "none");
    t.is(outputs.kafkaCredentials, undefined);
    const texts = resources
      .filter(
        (resource) => resource.type === container || /:(StatefulSet|Deployment|Job)$/.test(resource.type),
      )
      .map((resource) => JSON.stringify(unwrapSecrets(resource.inputs)));
    for (const text of texts) {
      t.false(/SASL_PLAINTEXT|SCRAM|AUTHORIZER|SUPER_USERS|sasl\./.test(text), text.slice(0, 120));
    }
    const streamEnv =
      stack === "dev"
        ? envMap(findResource(resources, container, "users-stream-0").inputs.envs)
        : (podEnv(findResource(resources, ":StatefulSet", "users-stream")) as Record<string, string>);
    t.is(streamEnv["KAFKA_SECURITY_PROTOCOL"], "PLAINTEXT");
    t.false("KAFKA_SASL_USERNAME" in streamEnv);
  });
}

test.serial(
  "component checks: credentials where the cluster authenticates, none where it does not",
  async (t) => {
    const target = new DockerTarget("docker");
    const secure = new Kafka("secure", { target, mode: "kraft", serviceName: "secure" });
    const open = new Kafka("open", { target, mode: "kraft", serviceName: "open", authentication: "none" });
    t.throws(() => new SchemaRegistry("registry", { target, kafka: secure, serviceName: "r1" }), {
      message:
        /Unable to create SchemaRegistry registry: Kafka secure authenticates clients\. Pass `credentials`/,
    });
    t.throws(() => new KafkaTopic("topic", { target, kafka: secure, topicName: "t" }), {
      message: /Unable to create topic "t": Kafka secure authenticates clients/,
    });
    t.throws(() => new KafkaUser("user", { target, kafka: open, username: "reader", acls: [] }), {
      message: /Unable to create KafkaUser reader: Kafka open has authentication "none"/,
    });
    t.throws(() => new KafkaUser("bad", { target, kafka: secure, username: "Bad_Name", acls: [] }), {
      message: /Unable to create KafkaUser Bad_Name: use lower-case letters, digits and '-'/,
    });
    t.throws(() => new KafkaUser("admin", { target, kafka: secure, username: "admin", acls: [] }), {
      message: /"admin" is the cluster's super user/,
    });
    const reader = new KafkaUser("reader", { target, kafka: secure, username: "reader", acls: [] });
    t.throws(
      () =>
        new SchemaRegistry("registry2", {
          target,
          kafka: open,
          serviceName: "r2",
          credentials: reader.credentials,
        }),
      { message: /Kafka open has authentication "none", so `credentials` would be ignored/ },
    );
    t.throws(
      () => new Kafka("odd", { target, mode: "kraft", serviceName: "odd", authentication: "plain" as never }),
      {
        message:
          /Unable to create Kafka odd: authentication "plain" is not allowed\. Use "scram-sha-512" or "none"/,
      },
    );
    await settle();
  },
);

test.serial(
  "a KafkaUser of your own: its Secret, a job after the brokers, credentials to hand to a client",
  async (t) => {
    const target = new DockerTarget("docker");
    const kafka = new Kafka("cluster", { target, mode: "kraft" });
    const reader = new KafkaUser("analytics", {
      target,
      kafka,
      username: "analytics",
      acls: [{ resourceType: "topic", name: "users_created", patternType: "literal", operations: ["Read"] }],
    });
    const resources: readonly RegisteredResource[] = await settle();
    t.is(reader.secretName, "kafka-user-analytics");
    t.true(await pulumi.isSecret(reader.password));
    t.is(reader.credentials.username, "analytics");
    t.is(reader.credentials.password.key, "password");
    t.is(reader.credentials.workload, reader.workload);
    const job = findResource(resources, container, "kafka-user-analytics");
    t.true(job.dependsOn.includes("kafka-0"));
    t.true(job.inputs.attach, "runs to completion before dependents");
    t.deepEqual(aclCommands(job.inputs.entrypoints[2]), [
      [
        "--add",
        "--allow-principal",
        "User:analytics",
        "--operation",
        "Read",
        "--topic",
        "users_created",
        "--resource-pattern-type",
        "literal",
      ],
    ]);
  },
);

test.serial(
  "a bad kafka.authentication is refused before any resource, naming key, value and choices",
  async (t) => {
    t.throws(() => deployStack({ ...dev(), kafka: { authentication: "scram-sha-256" } }), {
      message:
        /data-pipeline:kafka\.authentication = "scram-sha-256" is not allowed: expected "scram-sha-512" or "none"/,
    });
    t.is((await settle()).length, 0);
  },
);

test("the README's principals table is pipelineAcls for the default names", (t) => {
  const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");
  const start = readme.indexOf("| Principal ");
  t.true(start > 0, "README has the principals table");
  const rows = readme
    .slice(start)
    .split("\n")
    .slice(2)
    .filter((line, index, lines) => lines.slice(0, index + 1).every((previous) => previous.startsWith("|")))
    .map((line) => line.split("|").map((cell) => cell.trim()));
  const ruleText = (rule: AclRule) =>
    `${rule.resourceType === "cluster" ? "cluster" : `${rule.resourceType}${rule.patternType === "prefixed" ? " prefix" : ""} \`${rule.name}\``}: ${rule.operations.join(", ")}`;
  const acls = pipelineAcls({
    usersTopic: "users_created",
    deadLetterTopic: "users_created.dlq",
    managedTopics: ["users_created", "users_created.dlq"],
    jobGroupPrefix: "users-stream",
  });
  t.deepEqual(
    rows.map((cells) => [cells[1], cells[3]]),
    pipelinePrincipals.map((principal) => [`\`${principal}\``, acls[principal].map(ruleText).join("; ")]),
  );
});

test.serial(
  "a fourth broker changes no credential Secret (Kubernetes replaces a Secret whose data changes)",
  async (t) => {
    const secretsOf = async (brokers: number) => {
      resetRegistered();
      deployStack({ ...staging(), kafka: { brokers } });
      const resources = await settle();
      return Object.fromEntries(
        resources
          .filter((resource) => resource.type.endsWith(":Secret"))
          .map((resource) => [resource.name, JSON.stringify(unwrapSecrets(resource.inputs))]),
      );
    };
    const three = await secretsOf(3);
    const four = await secretsOf(4);
    t.deepEqual(Object.keys(four).sort(), Object.keys(three).sort());
    for (const name of Object.keys(three)) t.is(four[name], three[name], name);
  },
);
