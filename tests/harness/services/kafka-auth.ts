/**
 * The harness broker's security is the product's (components/kafka-security.ts): SASL/SCRAM-SHA-512
 * on the listener clients and the broker itself use, the mode's ACL authorizer with no "allow
 * everyone" fallback, the admin as the only super user. The admin's credential is bootstrapped with
 * the brokers' own tools before the broker starts; every pipeline principal is then created and
 * granted its ACLs with `kafka-configs`/`kafka-acls` as the admin, one JVM per command, as the
 * product's KafkaUser job runs them.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  ResourcePatternTypes,
  logLevel,
} from "kafkajs";
import {
  adminPrincipal,
  defaultJobGroupPrefix,
  brokerSecretProperties,
  brokerSecurityProperties,
  clientSecurityProperties,
  kafkaAclsAddArguments,
  pipelineAcls,
  pipelinePrincipals,
  scramCredentialConfig,
} from "../../../components/kafka-security";
import type {
  AclRule,
  PipelineAclInputs,
  PipelinePrincipal,
  SecurityMode,
} from "../../../components/kafka-security";
import { HarnessError, runDirectory, runLogDirectory, runToCompletion } from "../lib";
import type { JavaRuntime } from "../lib";
import { kafkaRuntime, writeLog4jConfig, writeProperties } from "./kafka-common";

/** A principal's SCRAM login. */
export interface KafkaCredentials {
  readonly username: string;
  readonly password: string;
}

/** Who a harness client is: the super user or one of the pipeline's principals. */
export type HarnessPrincipal = typeof adminPrincipal | PipelinePrincipal;

/** What the kafka endpoint says about its security (the fields {@link kafkaClientConfig} reads). */
export interface KafkaSecurity {
  readonly bootstrap: string;
  /** The super user (`admin`): the harness creates topics, users and ACLs as it. */
  readonly admin: KafkaCredentials;
  /** Every pipeline principal, created at start with no ACL; `harness.grant(...)` gives them theirs. */
  readonly principals: Readonly<Record<PipelinePrincipal, KafkaCredentials>>;
}

/** The harness' one client listener, named as the product's in-network (and inter-broker) listener. */
export const clientListener = "INTERNAL";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A random alphanumeric password, as the product's RandomPassword (`special: false`) makes them:
 * Kafka's `--add-config` syntax cannot carry `,` or `]` (see `scramCredentialConfig`). Bytes of 248
 * and above are skipped so that every character is equally likely (248 = 4 x 62).
 */
export function generatePassword(length = 32, random: (size: number) => Buffer = randomBytes): string {
  let password = "";
  while (password.length < length) {
    for (const byte of random(length)) {
      if (byte < 248 && password.length < length) password += alphabet[byte % alphabet.length];
    }
  }
  return password;
}

/** The broker's security properties for the harness' one listener: the product's, secrets included. */
export function harnessBrokerSecurity(mode: SecurityMode, adminPassword: string): Record<string, string> {
  return {
    ...brokerSecurityProperties(mode, [clientListener]),
    ...brokerSecretProperties(mode, [clientListener], adminPassword),
  };
}

/** kafkajs' SASL options for a login (SCRAM-SHA-512, as every listener requires). */
export function kafkajsSasl(credentials: KafkaCredentials): SASLOptions {
  return { mechanism: "scram-sha-512", username: credentials.username, password: credentials.password };
}

/** The credentials of `principal` on a harness broker. */
export function credentialsOf(security: KafkaSecurity, principal: HarnessPrincipal): KafkaCredentials {
  return principal === adminPrincipal ? security.admin : security.principals[principal];
}

/**
 * kafkajs settings for a client logging in as `principal`:
 * `new Kafka({ clientId, ...kafkaClientConfig(harness.kafka, "producer") })`.
 */
export function kafkaClientConfig(
  security: KafkaSecurity,
  principal: HarnessPrincipal,
): Pick<KafkaConfig, "brokers" | "sasl"> {
  return { brokers: [security.bootstrap], sasl: kafkajsSasl(credentialsOf(security, principal)) };
}

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

/** Kafka's command-line tools as the harness runs them: a JVM per command, output to the run's logs. */
export interface KafkaTools {
  readonly java: JavaRuntime;
  readonly classpath: readonly string[];
  /** The kafka service's state directory (log4j config, the admin's client properties). */
  readonly stateDir: string;
  readonly logDir: string;
}

let toolRuns = 0;

/**
 * Runs one Kafka tool (`kafka.admin.ConfigCommand`, `kafka.admin.AclCommand`, ...) to completion;
 * a failure is one line naming the command and its log. A small C1-only heap: these JVMs live a
 * second or two and the harness may run several at once.
 */
export async function runKafkaTool(
  tools: KafkaTools,
  name: string,
  mainClass: string,
  args: readonly string[],
): Promise<void> {
  await runToCompletion({
    service: "kafka",
    name: `${name}-${++toolRuns}`,
    logDir: tools.logDir,
    command: tools.java.executable,
    args: [
      "-Xmx256m",
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      "-Djava.net.preferIPv4Stack=true",
      writeLog4jConfig(tools.stateDir, "WARN"),
      "-cp",
      tools.classpath.join(":"),
      mainClass,
      ...args,
    ],
    timeoutMs: 120_000,
  });
}

/**
 * ZooKeeper mode: the admin's SCRAM credential written into ZooKeeper before the broker starts
 * (`kafka-configs --zookeeper ...`), since the broker authenticates itself to itself as the admin.
 */
export function bootstrapAdminInZooKeeper(
  tools: KafkaTools,
  zookeeper: string,
  password: string,
): Promise<void> {
  return runKafkaTool(tools, "kafka-configs-admin", "kafka.admin.ConfigCommand", [
    "--zookeeper",
    zookeeper,
    "--alter",
    "--entity-type",
    "users",
    "--entity-name",
    adminPrincipal,
    "--add-config",
    scramCredentialConfig(password),
  ]);
}

/** KRaft: the `kafka-storage format` arguments that put the admin's SCRAM credential into the metadata log. */
export function kraftAdminScramArguments(password: string): string[] {
  return ["--add-scram", scramCredentialConfig(password, adminPrincipal)];
}

/** `<stateDir>/admin-client.properties`: the admin's `--command-config` (written once per state directory). */
export function adminCommandConfig(tools: KafkaTools, admin: KafkaCredentials): string {
  const path = join(tools.stateDir, "admin-client.properties");
  if (!existsSync(path)) writeProperties(path, clientSecurityProperties(admin.username, admin.password));
  return path;
}

/** Creates (or updates) a SCRAM user with the admin's credentials: `kafka-configs --bootstrap-server`. */
export function createPrincipal(
  tools: KafkaTools,
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
  credentials: KafkaCredentials,
): Promise<void> {
  return runKafkaTool(tools, `kafka-configs-${credentials.username}`, "kafka.admin.ConfigCommand", [
    "--bootstrap-server",
    security.bootstrap,
    "--command-config",
    adminCommandConfig(tools, security.admin),
    "--alter",
    "--entity-type",
    "users",
    "--entity-name",
    credentials.username,
    "--add-config",
    scramCredentialConfig(credentials.password),
  ]);
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
 * Creates every pipeline principal with a generated password, two tool JVMs at a time (the machines
 * here have two cores), and resolves once each one logs in.
 */
export async function createPipelinePrincipals(
  tools: KafkaTools,
  security: Pick<KafkaSecurity, "bootstrap" | "admin">,
): Promise<Record<PipelinePrincipal, KafkaCredentials>> {
  const principals = Object.fromEntries(
    pipelinePrincipals.map((name) => [name, { username: name, password: generatePassword() }]),
  ) as Record<PipelinePrincipal, KafkaCredentials>;
  await inParallel(Object.values(principals), 2, (credentials) =>
    createPrincipal(tools, security, credentials),
  );
  // The credential reaches the broker through ZooKeeper or the metadata log, a moment after the tool exits.
  await inParallel(Object.values(principals), 6, async (credentials) => {
    const deadline = Date.now() + 30_000;
    while (!(await authenticates(security.bootstrap, credentials).catch(() => false))) {
      if (Date.now() > deadline) {
        throw new HarnessError(
          "kafka",
          `principal ${credentials.username} cannot log in 30 s after its creation`,
        );
      }
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
    }
  });
  return principals;
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

/** The tools for the kafka service of harness run `run` (its state and log directories). */
export async function kafkaToolsOf(run: string): Promise<KafkaTools> {
  const { classpath, java } = await kafkaRuntime("kafka");
  return { java, classpath, stateDir: join(runDirectory(run), "kafka"), logDir: runLogDirectory(run) };
}

/** True when `credentials` log in and the broker answers a metadata request with itself in the cluster. */
export async function authenticates(bootstrap: string, credentials: KafkaCredentials): Promise<boolean> {
  const admin = new Kafka({
    clientId: "harness-readiness",
    brokers: [bootstrap],
    sasl: kafkajsSasl(credentials),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Runs `task` over `items`, at most `limit` at once; rejects with the first failure after all settle. */
async function inParallel<Item>(
  items: readonly Item[],
  limit: number,
  task: (item: Item) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as Item;
      await task(item).catch((error: unknown) => void failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
