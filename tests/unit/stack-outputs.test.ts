/**
 * The program's exports are the stack outputs this stack has: Pulumi warns about every top-level
 * export that is undefined, so outputs a target or config does not produce are left out.
 */
import test from "ava";
import { resetRegistered, settle } from "./support/mocks";
import { definedOutputs, deployStack } from "../../infra/stack";
import { stackFileConfig } from "./support/stacks";

test.beforeEach(() => resetRegistered());

const hostOnly = ["hostBootstrapServers", "schemaRegistryHostUrl", "cassandraHostContactPoint"];

test.serial("staging exports no host endpoints and no Control Center URL while it is off", async (t) => {
  const exported = definedOutputs(deployStack(stackFileConfig("staging")));
  await settle();
  for (const key of [...hostOnly, "controlCenterUrl"]) t.false(key in exported, key);
  for (const key of ["bootstrapServers", "schemaRegistryUrl", "cassandraPassword", "airflowAdminPassword"]) {
    t.true(key in exported, key);
  }
  t.true(Object.values(exported).every((value) => value !== undefined));
});

test.serial("staging with Control Center on exports its URL", async (t) => {
  const exported = definedOutputs(
    deployStack({ ...stackFileConfig("staging"), controlCenter: { enabled: true } }),
  );
  await settle();
  t.true("controlCenterUrl" in exported);
});

test.serial("dev exports every output, host endpoints included", async (t) => {
  const exported = definedOutputs(deployStack(stackFileConfig("dev")));
  await settle();
  for (const key of [...hostOnly, "controlCenterUrl"]) t.true(key in exported, key);
});
