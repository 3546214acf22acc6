/**
 * The neutral model's less common fields on both targets: secrets, config files, HTTP checks,
 * jobs, and warnings for what a target cannot honour.
 */
import test from "ava";
import * as pulumi from "@pulumi/pulumi";
import { envMap, findResource, isSecretEnvelope, resetRegistered, settle } from "./support/mocks";
import { validateKubernetesObject } from "./support/kubernetes-schema";
import type { JobSpec, ServiceSpec } from "../../components";
import { DockerTarget, containerEnvironment } from "../../infra/docker";
import { KubernetesTarget } from "../../infra/kubernetes";

const warnings: string[] = [];
const log = pulumi.log as unknown as { warn: (message: string) => Promise<void> };
log.warn = async (message: string) => {
  warnings.push(message);
};

test.beforeEach(() => {
  resetRegistered();
  warnings.length = 0;
});

const service: ServiceSpec = {
  name: "web",
  component: "web",
  image: "nginx:1.27.3",
  env: {
    PLAIN: "yes",
    PASSWORD: { secret: { secretName: "web-credentials", key: "password", value: "s3cret-value" } },
  },
  configFiles: [{ name: "nginx.conf", mountPath: "/etc/nginx/nginx.conf", content: "events {}" }],
  ports: [{ name: "http", containerPort: 8080, publish: { hostPort: 18080 } }],
  volumes: [{ name: "cache", mountPath: "/var/cache/nginx", size: "1Gi" }],
  healthCheck: { probe: { kind: "http", path: "/healthz", port: 8080 } },
  resources: { cpuRequest: 0.1, cpuLimit: 0.5, memoryRequestMiB: 64, memoryLimitMiB: 128 },
  runAs: { uid: 101, gid: 101 },
  replicas: 2,
};
const job: JobSpec = {
  name: "migrate",
  component: "web",
  image: "nginx:1.27.3",
  command: ["true"],
  env: { PASSWORD: { secret: { secretName: "web-credentials", key: "password", value: "s3cret-value" } } },
  timeoutSeconds: 120,
  resources: { memoryRequestMiB: 32, memoryLimitMiB: 64 },
};

test.serial(
  "Docker: secret env stays secret, files are uploaded, replicas are containers, gaps are warned",
  async (t) => {
    const target = new DockerTarget("docker");
    const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
    target.deployService(service, parent);
    target.runJob(job, parent);
    const resources = await settle();
    const web0 = findResource(resources, "container:Container", "web-0");
    t.truthy(findResource(resources, "container:Container", "web-1"));
    t.is(envMap(web0.inputs.envs)["PASSWORD"], "s3cret-value");
    t.true(isSecretEnvelope(web0.inputs.envs), "an env list holding a secret is a secret");
    t.deepEqual(web0.inputs.uploads, [{ file: "/etc/nginx/nginx.conf", content: "events {}" }]);
    t.regex(web0.inputs.healthcheck.tests[1], /curl -fsS -o \/dev\/null http:\/\/127\.0\.0\.1:8080\/healthz/);
    t.is(web0.inputs.user, "101:101");
    t.true(warnings.some((warning) => warning.includes('web volume "cache" size 1Gi is not enforced')));
    t.true(
      warnings.some((warning) => warning.includes('web job "migrate" timeoutSeconds 120 is not enforced')),
    );
  },
);

test.serial("Docker: the secret env entry is a Pulumi secret", async (t) => {
  const entries = containerEnvironment(service.env, undefined);
  t.true(await pulumi.isSecret(pulumi.output(entries[1])));
  t.false(await pulumi.isSecret(pulumi.output(entries[0])));
});

test.serial(
  "Kubernetes: one Secret referenced by key, a ConfigMap, a valid Deployment and Job; publish is warned",
  async (t) => {
    const target = new KubernetesTarget("kubernetes", { namespace: "web" });
    const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
    target.deployService(service, parent);
    target.runJob(job, parent);
    const resources = await settle();
    const secret = findResource(resources, ":Secret", "web-credentials");
    // Secret inputs arrive in Pulumi's secret envelope (signature key + value): marked secret.
    t.true(isSecretEnvelope(secret.inputs.stringData));
    t.deepEqual(secret.inputs.stringData.value, { password: "s3cret-value" });
    const deployment = findResource(resources, ":Deployment", "web");
    const container = deployment.inputs.spec.template.spec.containers[0];
    t.deepEqual(container.env.find((variable: { name: string }) => variable.name === "PASSWORD").valueFrom, {
      secretKeyRef: { name: "web-credentials", key: "password" },
    });
    t.false(
      JSON.stringify(deployment.inputs).includes("s3cret-value"),
      "the pod spec holds only a reference",
    );
    t.true(deployment.dependsOn.includes("web-credentials"));
    t.deepEqual(findResource(resources, ":ConfigMap", "web-files").inputs.data, {
      "nginx.conf": "events {}",
    });
    t.deepEqual(container.volumeMounts[1], {
      name: "files",
      mountPath: "/etc/nginx/nginx.conf",
      subPath: "nginx.conf",
      readOnly: true,
    });
    t.is(deployment.inputs.spec.replicas, 2);
    const migrate = findResource(resources, ":Job", "migrate");
    t.is(migrate.inputs.spec.activeDeadlineSeconds, 120);
    t.is(
      resources.filter((resource) => resource.type.endsWith(":Secret")).length,
      1,
      "the shared secret is created once",
    );
    for (const object of resources.filter((resource) => resource.type.startsWith("kubernetes:"))) {
      await t.notThrowsAsync(validateKubernetesObject(object), object.name);
    }
    t.true(
      warnings.some((warning) =>
        warning.includes('web port "http" publish to host port 18080 is not honoured'),
      ),
    );
  },
);

test.serial("Kubernetes: a shared secret must be declared with all its keys by its first user", (t) => {
  const target = new KubernetesTarget("kubernetes", { namespace: "web" });
  const parent = new pulumi.ComponentResource("data-pipeline:test:Parent", "parent");
  target.runJob(job, parent);
  const other: JobSpec = {
    ...job,
    name: "other",
    env: { TOKEN: { secret: { secretName: "web-credentials", key: "token", value: "t" } } },
  };
  t.throws(() => target.runJob(other, parent), {
    message: /secret web-credentials was first created without key\(s\) token/,
  });
});
