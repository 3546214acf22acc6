/**
 * A real Kubernetes control plane on loopback for the deploy tier: etcd, kube-apiserver (RBAC and
 * PodSecurity admission), kube-controller-manager and kube-scheduler from the one `kube` binary,
 * and kwok playing the kubelet of one fake node (pods are marked running and ready; no container
 * ever runs) and the volume provisioner of the stack's storage class.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";

export interface ApiResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface Cluster {
  readonly kubeconfig: string;
  /** Calls the API server as cluster admin. */
  api(method: string, apiPath: string, body?: unknown): Promise<ApiResponse>;
  /** Stops every process (SIGTERM, then SIGKILL), etcd last. */
  stop(): Promise<void>;
  readonly startSeconds: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** kwok's own stage definitions (node, pod and volume "fast" stages), from its module source. */
function kwokStages(kwokDirectory: string, storageClass: string): string {
  const stage = path.join(kwokDirectory, "kustomize", "stage");
  const files = [
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
    "volume/fast/pvc-provision.yaml",
    "volume/fast/pv-bind.yaml",
    "volume/fast/pvc-delete.yaml",
    "volume/fast/pv-delete.yaml",
  ];
  // The volume stages provision claims of kwok's own class; point them at the stack's class.
  return files
    .map((file) =>
      fs.readFileSync(path.join(stage, file), "utf8").replaceAll("'kwok-volume'", `'${storageClass}'`),
    )
    .join("\n---\n");
}

export interface ClusterOptions {
  readonly kube: string;
  readonly kwokDirectory: string;
  readonly workDirectory: string;
  readonly storageClass: string;
  readonly log: (line: string) => void;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const processes: { name: string; child: ChildProcess }[] = [];
  const stop = async () => {
    for (const { child } of [...processes].reverse()) {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(-child.pid, "SIGTERM");
      for (let i = 0; i < 40 && child.exitCode === null && child.signalCode === null; i++) await sleep(250);
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(-child.pid, "SIGKILL");
    }
  };
  try {
    return await start(options, processes, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function start(
  options: ClusterOptions,
  processes: { name: string; child: ChildProcess }[],
  stopAll: () => Promise<void>,
): Promise<Cluster> {
  const started = Date.now();
  const dir = path.join(options.workDirectory, "cluster");
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString("hex");
  fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},admin,admin,system:masters\n`, { mode: 0o600 });
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, "sa.key"), keys.privateKey.export({ type: "pkcs1", format: "pem" }));
  fs.writeFileSync(path.join(dir, "sa.pub"), keys.publicKey.export({ type: "spki", format: "pem" }));
  const certDirectory = path.join(dir, "certs");
  const ca = path.join(certDirectory, "apiserver.crt");
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = path.join(dir, "kubeconfig");

  const run = (name: string, args: string[]) => {
    const out = fs.openSync(path.join(dir, "logs", `${name}.log`), "a");
    const child = spawn(options.kube, [name, ...args], { stdio: ["ignore", out, out], detached: true });
    fs.closeSync(out);
    child.on("exit", (code, signal) => {
      if (!stopping) options.log(`${name} exited (${code ?? signal}); see ${dir}/logs/${name}.log`);
    });
    processes.push({ name, child });
  };
  let stopping = false;

  run("etcd", [
    `--data-dir=${path.join(dir, "etcd")}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    "--log-level=warn",
  ]);
  run("kube-apiserver", [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${certDirectory}`,
    `--token-auth-file=${path.join(dir, "tokens.csv")}`,
    "--authorization-mode=Node,RBAC",
    // PodSecurity is on by default; naming it keeps the tier honest if a default ever changes.
    "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity,DefaultStorageClass,PersistentVolumeClaimResize,ResourceQuota",
    `--service-account-key-file=${path.join(dir, "sa.pub")}`,
    `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    // ClusterIPs are only allocated here (no proxy routes them; nothing is sent to them).
    "--service-cluster-ip-range=10.96.0.0/16",
    // The default reconciler writes the loopback address into the kubernetes Endpoints and fails every 10 s.
    "--endpoint-reconciler-type=none",
    "--allow-privileged=true",
  ]);

  const request = (method: string, apiPath: string, body?: unknown): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        `${server}${apiPath}`,
        {
          method,
          ca: fs.existsSync(ca) ? fs.readFileSync(ca) : undefined,
          rejectUnauthorized: fs.existsSync(ca),
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(data
              ? { "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json" }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // plain text (readyz)
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });

  for (let attempt = 0; ; attempt++) {
    const ready = await request("GET", "/readyz").catch(() => undefined);
    if (ready?.status === 200 && fs.existsSync(ca)) break;
    if (attempt > 240) throw new Error(`kube-apiserver not ready after 60 s; see ${dir}/logs`);
    await sleep(250);
  }
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "deploy-tier", cluster: { server, "certificate-authority": ca } }],
      users: [{ name: "admin", user: { token } }],
      contexts: [{ name: "deploy-tier", context: { cluster: "deploy-tier", user: "admin" } }],
      "current-context": "deploy-tier",
    }),
    { mode: 0o600 },
  );
  run("kube-controller-manager", [
    `--kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    "--secure-port=0",
    `--service-account-private-key-file=${path.join(dir, "sa.key")}`,
    `--root-ca-file=${ca}`,
    "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller",
  ]);
  run("kube-scheduler", [
    `--kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    "--secure-port=0",
  ]);
  fs.writeFileSync(
    path.join(dir, "kwok-stages.yaml"),
    kwokStages(options.kwokDirectory, options.storageClass),
  );
  run("kwok", [
    `--kubeconfig=${kubeconfig}`,
    `--config=${path.join(dir, "kwok-stages.yaml")}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    // Without it the default lease duration lets every pod turn NotReady ~50 s after it was ready.
    "--node-lease-duration-seconds=40",
    "--server-address=127.0.0.1:0",
  ]);

  const create = async (apiPath: string, object: unknown) => {
    const response = await request("POST", apiPath, object);
    if (response.status >= 300 && response.status !== 409) {
      throw new Error(`Unable to create ${apiPath}: ${response.status} ${JSON.stringify(response.body)}`);
    }
  };
  await create("/api/v1/nodes", {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: "kwok-node-0",
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": "kwok-node-0", "kubernetes.io/os": "linux", type: "kwok" },
    },
    status: {
      allocatable: { cpu: "64", memory: "256Gi", pods: "110" },
      capacity: { cpu: "64", memory: "256Gi", pods: "110" },
    },
  });
  await create("/apis/storage.k8s.io/v1/storageclasses", {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: options.storageClass },
    provisioner: "kwok.x-k8s.io/volume",
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
    allowVolumeExpansion: true,
  });
  // Pods are admitted only once the default ServiceAccount exists in a namespace: wait for the controllers.
  for (let attempt = 0; ; attempt++) {
    const node = await request("GET", "/api/v1/nodes/kwok-node-0");
    const ready = (node.body?.status?.conditions ?? []).some(
      (condition: { type: string; status: string }) =>
        condition.type === "Ready" && condition.status === "True",
    );
    const account = await request("GET", "/api/v1/namespaces/default/serviceaccounts/default");
    if (ready && account.status === 200) break;
    if (attempt > 240)
      throw new Error(`the kwok node or the controllers are not ready after 60 s; see ${dir}/logs`);
    await sleep(250);
  }

  return {
    kubeconfig,
    api: request,
    startSeconds: (Date.now() - started) / 1000,
    async stop() {
      stopping = true;
      await stopAll();
    },
  };
}
