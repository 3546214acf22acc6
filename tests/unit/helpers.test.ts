/**
 * The pure helpers, without mocks.
 */
import test from "ava";
import type { ReplicaIdentity, ServiceSpec, Target } from "../../components";
import {
  bootstrapServersFor,
  hostBootstrapServersFor,
  listenersFor,
  topicJobName,
  zookeeperConnectString,
  zookeeperEnvironment,
} from "../../components";
import {
  containerPorts,
  containerResources,
  dockerHealthcheck,
  dockerReplicaIdentity,
  healthCheckCommand,
  healthWaitSeconds,
} from "../../infra/docker/render";
import { imageReference } from "../../infra/docker/image";
import {
  kubernetesReplicaIdentity,
  probesFor,
  replicaDnsName,
  resourceRequirements,
  startupCommand,
} from "../../infra/kubernetes/render";

const context = { namespace: "ns", clusterDomain: "cluster.local" };

/** A minimal target for helpers that only need names. */
const namingTarget = (publishes: boolean): Target =>
  ({
    kind: "test",
    publishesHostPorts: publishes,
    serviceHost: (name: string) => `${name}.svc`,
    replicaHost: (name: string, ordinal: number) => `${name}-${ordinal}.svc`,
  }) as unknown as Target;

const replica = (host: string, hostPort?: number): ReplicaIdentity => ({
  ordinal: "0",
  offset: (n) => String(n),
  host,
  publishedPort: () => hostPort,
});

test("listenersFor: internal listener advertises the service name; the host listener localhost", (t) => {
  t.deepEqual(listenersFor({ replica: replica("kafka-0"), mode: "zookeeper" }), {
    listeners: "INTERNAL://0.0.0.0:9092",
    advertisedListeners: "INTERNAL://kafka-0:9092",
    securityProtocolMap: "INTERNAL:PLAINTEXT",
  });
  t.deepEqual(listenersFor({ replica: replica("kafka-1"), mode: "kraft", hostPort: 9095 }), {
    listeners: "INTERNAL://0.0.0.0:9092,HOST://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093",
    advertisedListeners: "INTERNAL://kafka-1:9092,HOST://localhost:9095",
    securityProtocolMap: "INTERNAL:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT",
  });
});

test("bootstrap servers: per broker in-network; host list only where the target publishes", (t) => {
  t.is(bootstrapServersFor(namingTarget(true), "kafka", 2), "kafka-0.svc:9092,kafka-1.svc:9092");
  t.is(hostBootstrapServersFor(namingTarget(true), 9094, 2), "localhost:9094,localhost:9095");
  t.is(hostBootstrapServersFor(namingTarget(false), 9094, 2), undefined);
  t.is(hostBootstrapServersFor(namingTarget(true), undefined, 2), undefined);
});

test("ZooKeeper: connect string and ensemble servers", (t) => {
  const target = namingTarget(false);
  t.is(zookeeperConnectString(target, "zk", 3), "zk-0.svc:2181,zk-1.svc:2181,zk-2.svc:2181");
  const env = zookeeperEnvironment(target, "zk", 3, 512);
  t.is(env["ZOOKEEPER_SERVERS"], "zk-0.svc:2888:3888;zk-1.svc:2888:3888;zk-2.svc:2888:3888");
  t.is(env["KAFKA_HEAP_OPTS"], "-Xms256m -Xmx256m");
  t.false("ZOOKEEPER_SERVERS" in zookeeperEnvironment(target, "zk", 1, 512));
});

test("topicJobName: a DNS label from any topic name", (t) => {
  t.is(topicJobName("users_created"), "topic-users-created");
  t.is(topicJobName("Orders.V2"), "topic-orders-v2");
  t.true(topicJobName("x".repeat(249)).length <= 63);
});

test("Docker: health checks become commands, with a wait long enough for the start period", (t) => {
  t.deepEqual(healthCheckCommand({ probe: { kind: "command", command: ["true"] } }), ["CMD", "true"]);
  t.regex(
    healthCheckCommand({ probe: { kind: "http", path: "/subjects", port: 8081 } })[1] ?? "",
    /curl -fsS .*127\.0\.0\.1:8081\/subjects/,
  );
  t.deepEqual(
    dockerHealthcheck({
      probe: { kind: "tcp", port: 1 },
      intervalSeconds: 5,
      retries: 3,
      startPeriodSeconds: 20,
    }),
    {
      tests: ["CMD-SHELL", "bash -c '</dev/tcp/127.0.0.1/1' || exit 1"],
      interval: "5s",
      timeout: "5s",
      retries: 3,
      startPeriod: "20s",
    },
  );
  t.is(
    healthWaitSeconds({
      probe: { kind: "tcp", port: 1 },
      intervalSeconds: 5,
      retries: 3,
      startPeriodSeconds: 20,
    }),
    20 + 5 * 4 + 30,
  );
});

test("Docker: ports publish per replica on the default host address", (t) => {
  const ports = [
    { name: "host", containerPort: 9094, publish: { hostPort: 19094, perReplica: true } },
    { name: "internal", containerPort: 9092 },
    { name: "ui", containerPort: 80, publish: { hostPort: 8080, hostIp: "0.0.0.0" } },
  ];
  t.deepEqual(containerPorts(ports, 2, "127.0.0.1"), [
    { internal: 9094, external: 19096, ip: "127.0.0.1", protocol: "tcp" },
    { internal: 80, external: 8080, ip: "0.0.0.0", protocol: "tcp" },
  ]);
  const spec = { name: "kafka", component: "kafka", image: "x", ports } as ServiceSpec;
  const identity = dockerReplicaIdentity(spec, 2);
  t.is(identity.host, "kafka-2");
  t.is(identity.offset(1), "3");
  t.is(identity.publishedPort("host"), 19096);
  t.is(identity.publishedPort("internal"), undefined);
});

test("Docker: resources map to limits, reservation and shares", (t) => {
  t.deepEqual(
    containerResources({ cpuRequest: 0.5, cpuLimit: 2, memoryRequestMiB: 256, memoryLimitMiB: 512 }),
    {
      memory: 512,
      memoryReservation: 256,
      cpus: "2",
      cpuShares: 512,
    },
  );
  t.deepEqual(containerResources(undefined), {});
});

test("Kubernetes: probes from one health check", (t) => {
  const probes = probesFor({
    probe: { kind: "http", path: "/", port: 80 },
    intervalSeconds: 10,
    retries: 6,
    startPeriodSeconds: 120,
  });
  t.deepEqual(probes.readinessProbe, {
    httpGet: { path: "/", port: 80 },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  t.is(probes.livenessProbe.failureThreshold, 6);
  t.is(probes.startupProbe.failureThreshold, 12 + 6);
  t.deepEqual(probesFor({ probe: { kind: "command", command: ["x"] } }).livenessProbe.exec, {
    command: ["x"],
  });
});

test("Kubernetes: quantities and per-pod DNS names", (t) => {
  t.deepEqual(
    resourceRequirements({ cpuRequest: 0.25, cpuLimit: 1, memoryRequestMiB: 512, memoryLimitMiB: 1024 }),
    {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1000m", memory: "1024Mi" },
    },
  );
  t.is(replicaDnsName("kafka", 1, context), "kafka-1.kafka-headless.ns.svc.cluster.local");
});

test("Kubernetes: per-replica values run through a start-up shell that execs the entrypoint", (t) => {
  const identity = kubernetesReplicaIdentity("kafka", context);
  const spec = {
    name: "kafka",
    component: "kafka",
    image: "x",
    entrypoint: ["/run"],
    args: ["--flag"],
    env: { ID: { perReplica: (r: ReplicaIdentity) => r.offset(1) }, PLAIN: "p" },
  };
  const command = startupCommand(spec, identity);
  t.deepEqual(command.args, ["/run", "--flag"]);
  t.is(command.command?.[2], 'ORDINAL="${HOSTNAME##*-}"; export ID="$((ORDINAL+1))"; exec "$@"');
  t.deepEqual(startupCommand({ name: "a", component: "a", image: "x", args: ["y"] }, identity), {
    args: ["y"],
  });
  t.throws(() => startupCommand({ ...spec, entrypoint: undefined }, identity), {
    message: /need the image entrypoint/,
  });
  t.throws(() => startupCommand({ ...spec, env: { BAD: { perReplica: () => 'a"b' } } }, identity), {
    message: /may not contain quotes/,
  });
});

test("image references: local name:tag, or pushed under the registry", (t) => {
  t.is(imageReference({ name: "producer", context: ".", tag: "1.0.0" }, undefined), "producer:1.0.0");
  t.is(
    imageReference({ name: "producer", context: ".", tag: "1.0.0" }, "ghcr.io/acme/"),
    "ghcr.io/acme/producer:1.0.0",
  );
});
