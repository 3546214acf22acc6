/**
 * KafkaUser: one SASL/SCRAM principal with its ACLs, as Strimzi's KafkaUser. A generated password
 * (a Pulumi secret) goes into the principal's Secret (`<kafka service>-user-<username>`, keys
 * `username`, `password`, `sasl.jaas.config`; secret env on Docker), and a job run with the brokers'
 * own tools as the admin registers the credential (`kafka-configs`) and adds each ACL
 * (`kafka-acls`). Both are idempotent, so every run converges; the job then checks that the new
 * credential logs in. Clients take {@link KafkaUser.credentials} and start after the job.
 *
 * The job only adds: a rule taken out of `acls`, or a deleted KafkaUser, leaves its ACL (and
 * credential) in Kafka until removed with `kafka-acls --remove` (`kafka-configs --delete-config`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Kafka } from "./kafka";
import { kafkaCredentials, scramPassword } from "./kafka-authentication";
import type { AclRule, KafkaCredentials } from "./kafka-security";
import {
  adminPrincipal,
  clientPropertiesCommand,
  kafkaAclsAddArguments,
  kafkaUserSecretName,
  scramCredentialFileCommand,
} from "./kafka-security";
import type { EnvironmentValue, JobSpec, Workload } from "./spec";
import type { Target } from "./target";
import { confluentImage, confluentUser } from "./versions";

/** Arguments of {@link KafkaUser}. */
export interface KafkaUserArgs {
  readonly target: Target;
  /** The cluster (with `authentication: "scram-sha-512"`). */
  readonly kafka: Kafka;
  /** The principal's name: lower-case letters, digits and `-` (it names the Secret and the job). */
  readonly username: string;
  /** What the principal may do; nothing else is allowed (the authorizer denies by default). */
  readonly acls: readonly AclRule[];
}

/** A username: a DNS label, so it names the Secret and the job, and needs no quoting anywhere. */
export const kafkaUsernamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The env names the user job reads (the script below holds no secret). */
const jobEnvironment = {
  adminUsername: "ADMIN_USERNAME",
  adminPassword: "ADMIN_PASSWORD",
  username: "USER_NAME",
  password: "USER_PASSWORD",
  jaasConfig: "USER_JAAS_CONFIG",
} as const;

/** A word in single quotes for bash. */
function shellQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The user job's script: admin client properties from the env (in a private temp directory), the
 * SCRAM credential from a file (`--add-config-file`: the password is in no command line), one
 * `kafka-acls --add` per rule (adding an existing ACL changes nothing), then a login with the new
 * credential (retried: a credential reaches every broker within moments).
 */
export function kafkaUserScript(username: string, acls: readonly AclRule[]): string {
  const admin = '--command-config "$dir/admin.properties"';
  return [
    "set -euo pipefail",
    "umask 077",
    'dir="$(mktemp -d)"',
    `trap 'rm -rf "$dir"' EXIT`,
    clientPropertiesCommand("$dir/admin.properties", {
      username: jobEnvironment.adminUsername,
      password: jobEnvironment.adminPassword,
    }),
    scramCredentialFileCommand("$dir/credential.properties", jobEnvironment.password),
    `kafka-configs --bootstrap-server "$BOOTSTRAP_SERVERS" ${admin} --alter --entity-type users --entity-name "$${jobEnvironment.username}" --add-config-file "$dir/credential.properties"`,
    ...acls.map(
      (rule) =>
        `kafka-acls --bootstrap-server "$BOOTSTRAP_SERVERS" ${admin} ${kafkaAclsAddArguments(username, rule).map(shellQuoted).join(" ")}`,
    ),
    // The Secret's own `sasl.jaas.config`, as Java clients (Schema Registry, Control Center) take it.
    clientPropertiesCommand("$dir/user.properties", { jaasConfig: jobEnvironment.jaasConfig }),
    "for attempt in $(seq 1 30); do",
    '  if kafka-broker-api-versions --bootstrap-server "$BOOTSTRAP_SERVERS" --command-config "$dir/user.properties" > /dev/null; then',
    `    echo "${username}: credential and ${acls.length} ACL rule(s) in place"; exit 0`,
    "  fi",
    "  sleep 2",
    "done",
    `echo "${username}: the new credential does not log in" >&2`,
    "exit 1",
  ].join("\n");
}

/** A SCRAM principal with its ACLs. */
export class KafkaUser extends pulumi.ComponentResource {
  /** The principal's name (`User:<username>` in ACLs). */
  public readonly username: string;
  /** The generated password (secret). */
  public readonly password: pulumi.Output<string>;
  /** The Secret's name (`<kafka service>-user-<username>`). */
  public readonly secretName: string;
  /** The credentials as secret references, for a client's env; the client should start after {@link KafkaUser.workload}. */
  public readonly credentials: KafkaCredentials;
  /** The job that registers the credential and the ACLs. */
  public readonly workload: Workload;
  /** The neutral spec of the job. */
  public readonly spec: JobSpec;

  constructor(name: string, args: KafkaUserArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-pipeline:kafka-user:KafkaUser", name, {}, opts);
    const admin = args.kafka.adminCredentials;
    if (!admin) {
      throw new pulumi.ResourceError(
        `Unable to create KafkaUser ${args.username}: Kafka ${args.kafka.serviceName} has authentication "${args.kafka.authentication}". Use authentication "scram-sha-512" or drop the user.`,
        this,
      );
    }
    const secretName = kafkaUserSecretName(args.kafka.serviceName, args.username);
    if (!kafkaUsernamePattern.test(args.username) || secretName.length > 63) {
      throw new pulumi.ResourceError(
        `Unable to create KafkaUser ${args.username}: use lower-case letters, digits and '-' (at most ${63 - kafkaUserSecretName(args.kafka.serviceName, "").length} characters).`,
        this,
      );
    }
    if (args.username === adminPrincipal) {
      throw new pulumi.ResourceError(
        `Unable to create KafkaUser ${args.username}: "${adminPrincipal}" is the cluster's super user, created with it. Choose another name.`,
        this,
      );
    }
    this.username = args.username;
    this.secretName = secretName;
    this.password = scramPassword(`${name}-password`, this);
    const unregistered = kafkaCredentials(secretName, args.username, this.password);
    const env: Record<string, EnvironmentValue> = {
      BOOTSTRAP_SERVERS: args.kafka.bootstrapServers,
      [jobEnvironment.adminUsername]: admin.username,
      [jobEnvironment.adminPassword]: { secret: admin.password },
      // Every key of the user's Secret: on Kubernetes this first reference creates it.
      [jobEnvironment.username]: { secret: unregistered.usernameReference },
      [jobEnvironment.password]: { secret: unregistered.password },
      [jobEnvironment.jaasConfig]: { secret: unregistered.jaasConfig },
    };
    this.spec = {
      name: secretName,
      component: "kafka-user",
      image: confluentImage("cp-kafka", args.kafka.version),
      command: ["bash", "-c", kafkaUserScript(args.username, args.acls)],
      env,
      resources: { cpuRequest: 0.1, cpuLimit: 0.5, memoryRequestMiB: 256, memoryLimitMiB: 512 },
      runAs: confluentUser,
      dependsOn: [{ workload: args.kafka.workload }],
      backoffLimit: 6,
    };
    this.workload = args.target.runJob(this.spec, this);
    this.credentials = { ...unregistered, workload: this.workload };
    this.registerOutputs({ username: this.username, password: this.password, secretName: this.secretName });
  }
}
