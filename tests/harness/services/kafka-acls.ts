/**
 * The harness' ACLs: the pipeline's rules (`pipelineAcls` of components/kafka-security.ts) added with
 * `kafka-acls` as the admin, as the product's KafkaUser job adds them, and awaited until the broker's
 * authorizer holds them.
 */
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  ResourcePatternTypes,
  logLevel,
} from "kafkajs";
import {
  defaultJobGroupPrefix,
  kafkaAclsAddArguments,
  pipelineAcls,
} from "../../../components/kafka-security";
import type { AclRule, PipelineAclInputs, PipelinePrincipal } from "../../../components/kafka-security";
import { HarnessError } from "../lib";
import type { KafkaSecurity, KafkaTools } from "./kafka-auth";
import { adminCommandConfig, inParallel, kafkajsSasl, runKafkaTool } from "./kafka-auth";

/**
 * The ACL inputs of one test pipeline: its users topic, the DLQ the job derives from it by default
 * (`{KAFKA_TOPIC}.dlq`, contracts/interfaces.ts), both managed, and the job's default group prefix.
 */
export function pipelineAclInputs(
  usersTopic: string,
  deadLetterTopic = `${usersTopic}.dlq`,
): PipelineAclInputs {
  return {
    usersTopic,
    deadLetterTopic,
    managedTopics: [usersTopic, deadLetterTopic],
    jobGroupPrefix: defaultJobGroupPrefix,
  };
}

/** Adds one allow rule for a principal with the admin's credentials: `kafka-acls --add` (idempotent). */
export function addAcl(
  tools: KafkaTools,
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
  principal: string,
  rule: AclRule,
): Promise<void> {
  return runKafkaTool(tools, `kafka-acls-${principal}`, "kafka.admin.AclCommand", [
    "--bootstrap-server",
    security.bootstrap,
    "--command-config",
    adminCommandConfig(tools, security.admin),
    ...kafkaAclsAddArguments(principal, rule),
  ]);
}

/**
 * Grants each of `principals` the pipeline's ACLs for these names (`pipelineAcls(inputs)`), with
 * `kafka-acls` as the admin, two JVMs at a time. Call it once per pipeline a test sets up.
 */
export async function grantPipelineAcls(
  tools: KafkaTools,
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
  principals: readonly PipelinePrincipal[],
  inputs: PipelineAclInputs,
): Promise<void> {
  const acls = pipelineAcls(inputs);
  const work = principals.flatMap((principal) => acls[principal].map((rule) => ({ principal, rule })));
  await inParallel(work, 2, ({ principal, rule }) => addAcl(tools, security, principal, rule));
  for (const principal of principals) await waitForAcls(security, principal, acls[principal]);
}

/**
 * Adds `rules` for `principal` with `kafka-acls` as the admin, two JVMs at a time, and resolves
 * once the broker's authorizer holds them all.
 */
export async function grantAcls(
  tools: KafkaTools,
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
  principal: string,
  rules: readonly AclRule[],
): Promise<void> {
  await inParallel(rules, 2, (rule) => addAcl(tools, security, principal, rule));
  await waitForAcls(security, principal, rules);
}

async function waitForAcls(
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
  principal: string,
  rules: readonly AclRule[],
): Promise<void> {
  // The tool returns once the ACL is stored; the broker's authorizer learns it from ZooKeeper or the
  // metadata log a moment later. Its DescribeAcls answers from that same cache, so wait for it there.
  const deadline = Date.now() + 30_000;
  while (!(await aclsInEffect(security, principal, rules))) {
    if (Date.now() > deadline) {
      throw new HarnessError(
        "kafka",
        `the ACLs of ${principal} are not in effect 30 s after kafka-acls added them`,
      );
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 200));
  }
}

const resourceTypes: Record<AclRule["resourceType"], AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  "transactional-id": AclResourceTypes.TRANSACTIONAL_ID,
};

/** `DescribeConfigs` -> `DESCRIBE_CONFIGS`, the name of kafkajs' (and Kafka's) operation enum. */
function operationType(operation: AclRule["operations"][number]): AclOperationTypes {
  const name = operation.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() as keyof typeof AclOperationTypes;
  return AclOperationTypes[name];
}

/** True when the broker's authorizer holds every rule of `principal` (DescribeAcls as the admin). */
export async function aclsInEffect(
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
  principal: string,
  rules: readonly AclRule[],
): Promise<boolean> {
  const admin = new Kafka({
    clientId: "harness-acls",
    brokers: [security.bootstrap],
    sasl: kafkajsSasl(security.admin),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: `User:${principal}`,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ALLOW,
    });
    return rules.every((rule) =>
      rule.operations.every((operation) =>
        resources.some(
          (resource) =>
            resource.resourceType === resourceTypes[rule.resourceType] &&
            resource.resourceName === rule.name &&
            resource.resourcePatternType ===
              (rule.patternType === "prefixed"
                ? ResourcePatternTypes.PREFIXED
                : ResourcePatternTypes.LITERAL) &&
            resource.acls.some((acl) => acl.operation === operationType(operation)),
        ),
      ),
    );
  } finally {
    await admin.disconnect();
  }
}
