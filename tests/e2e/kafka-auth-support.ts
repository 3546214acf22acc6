/**
 * Helpers of the Kafka authorization e2e tests: what a refused kafkajs call was refused for, and
 * Kafka's own console consumer run as a principal (the Java client names the denied resource:
 * `TopicAuthorizationException`, `GroupAuthorizationException`).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientSecurityProperties } from "../../components/kafka-security";
import type { HarnessPrincipal, KafkaSecurity } from "../harness";
import { credentialsOf } from "../harness";
import { kafkaRuntime, writeLog4jConfig, writeProperties } from "../harness/services/kafka-common";

/**
 * The Kafka error code names in a kafkajs error: its own `type`, its cause's, and those of an
 * aggregate's errors (`createTopics` reports each topic's error there).
 */
export function kafkaErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== "object" || value === null || depth > 3) return;
    const record = value as { type?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.type === "string") types.push(record.type);
    visit(record.cause, depth + 1);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return types;
}

/** What the console consumer printed (stdout and stderr together) and how it exited. */
export interface ConsoleRead {
  readonly output: string;
  readonly status: number;
}

/** How the console consumer reads: one partition by assignment (no group at all), or in a group. */
export type ReadMode = { readonly partition: number } | { readonly group: string };

/**
 * Reads at most one record of `topic` from the beginning with Kafka's console consumer, logged in
 * as `principal`, giving up after 20 s. Assigned mode uses no group (auto-commit off), so a refusal
 * there is about the topic alone.
 */
export async function consoleRead(
  kafka: KafkaSecurity,
  principal: HarnessPrincipal,
  topic: string,
  mode: ReadMode,
): Promise<ConsoleRead> {
  const { classpath, java } = await kafkaRuntime("kafka");
  const credentials = credentialsOf(kafka, principal);
  const directory = mkdtempSync(join(tmpdir(), "kafka-auth-"));
  const config = join(directory, "client.properties");
  writeProperties(config, clientSecurityProperties(credentials.username, credentials.password));
  const where =
    "partition" in mode
      ? ["--partition", String(mode.partition), "--offset", "earliest"]
      : ["--group", mode.group, "--from-beginning"];
  const args = [
    "-Xmx256m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    writeLog4jConfig(directory, "WARN"),
    "-cp",
    classpath.join(":"),
    "org.apache.kafka.tools.consumer.ConsoleConsumer",
    ...["--bootstrap-server", kafka.bootstrap, "--consumer.config", config, "--topic", topic],
    ...where,
    ...["--max-messages", "1", "--timeout-ms", "20000"],
  ];
  return new Promise((resolvePromise) => {
    execFile(java.executable, args, { timeout: 90_000 }, (error, stdout, stderr) => {
      // The client.properties holds the principal's password: not left behind in /tmp.
      rmSync(directory, { recursive: true, force: true });
      const status = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolvePromise({ output: `${stdout}${stderr}`, status });
    });
  });
}
