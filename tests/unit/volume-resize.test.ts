/**
 * Volume sizes on Kubernetes: a StatefulSet's claim templates cannot change, so sizes are applied to
 * the claims themselves (one server-side-apply patch per claim); the deploy tier proves the real
 * engine expands the claims in place and never replaces the StatefulSet.
 */
import test from "ava";
import { findResource, resetRegistered, settle } from "./support/mocks";
import { deployStack } from "../../infra/stack";
import { toClaimSizePatches, volumeClaimSizePath } from "../../infra/kubernetes/render";
import { stackFileConfig } from "./support/stacks";

test.beforeEach(() => resetRegistered());

const context = { namespace: "ns", clusterDomain: "cluster.local", storageClass: "standard" };

test("one size patch per replica and volume, named as the StatefulSet controller names the claims", (t) => {
  const patches = toClaimSizePatches(
    {
      name: "zookeeper",
      component: "zookeeper",
      image: "i",
      replicas: 2,
      stateful: true,
      volumes: [
        { name: "data", mountPath: "/d", size: "5Gi" },
        { name: "log", mountPath: "/l", size: "1Gi" },
      ],
    },
    context,
  );
  t.deepEqual(
    patches.map((patch) => [
      patch.resourceName,
      patch.args.metadata?.name,
      patch.args.spec?.resources?.requests,
    ]),
    [
      ["zookeeper-data-0-size", "data-zookeeper-0", { storage: "5Gi" }],
      ["zookeeper-data-1-size", "data-zookeeper-1", { storage: "5Gi" }],
      ["zookeeper-log-0-size", "log-zookeeper-0", { storage: "1Gi" }],
      ["zookeeper-log-1-size", "log-zookeeper-1", { storage: "1Gi" }],
    ],
  );
  for (const patch of patches) {
    t.is(patch.args.metadata.namespace, "ns");
    t.deepEqual(patch.args.metadata.annotations, { "pulumi.com/patchForce": "true" });
  }
  t.is(volumeClaimSizePath, "spec.volumeClaimTemplates[*].spec.resources.requests.storage");
});

test.serial("a larger kafka.storageSize changes the claims' patches, after the StatefulSet", async (t) => {
  deployStack({ ...stackFileConfig("staging"), kafka: { brokers: 3, storageSize: "100Gi" } });
  const resources = await settle();
  for (const ordinal of [0, 1, 2]) {
    const patch = findResource(resources, ":PersistentVolumeClaimPatch", `kafka-data-${ordinal}-size`);
    t.is(patch.inputs.spec.resources.requests.storage, "100Gi");
    t.is(patch.inputs.metadata.name, `data-kafka-${ordinal}`);
    t.true(patch.dependsOn.includes("kafka"), "patched once the StatefulSet (and so its claims) exist");
  }
});
