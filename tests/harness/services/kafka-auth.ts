/**
 * The harness broker's security is the product's (components/kafka-security.ts): SASL/SCRAM-SHA-512
 * on the listener clients and the broker itself use, the mode's ACL authorizer with no "allow
 * everyone" fallback, the admin as the only super user. The admin's credential is bootstrapped with
 * the brokers' own tools before the broker starts; every pipeline principal is then created with
 * `kafka-configs` as the admin, one JVM per command, as the product's KafkaUser job runs it (its
 * ACLs: kafka-acls.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import { Kafka, logLevel } from "kafkajs";
import {
  adminPrincipal,
  brokerSecretProperties,
  brokerSecurityProperties,
  clientSecurityProperties,
  pipelinePrincipals,
  scramCredentialConfig,
} from "../../../components/kafka-security";
import type { PipelinePrincipal, SecurityMode } from "../../../components/kafka-security";
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
export async function inParallel<Item>(
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
