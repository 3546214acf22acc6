import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findJava, resolveMaven } from "../lib";
import type { JavaRuntime } from "../lib";

/** JVM flags shared by ZooKeeper, the Kafka broker and the storage tool: small heap, headless. */
export const kafkaJvmFlags: readonly string[] = [
  "-Xms128m",
  "-XX:+UseG1GC",
  "-XX:MaxGCPauseMillis=20",
  "-Djava.awt.headless=true",
  "-Djava.net.preferIPv4Stack=true",
  "-Dzookeeper.admin.enableServer=false",
];

/** Kafka's jars (ZooKeeper included, through Maven) and a Java 17+ runtime. */
export async function kafkaRuntime(
  service: string,
): Promise<{ classpath: readonly string[]; java: JavaRuntime }> {
  const { classpath } = await resolveMaven("kafka");
  return { classpath, java: findJava(service, { minimum: 17 }) };
}

/**
 * Writes a reload4j config logging to stdout (the harness log file) and returns the JVM flag using
 * it. The command-line tools (kafka-configs, kafka-acls) log at WARN into `tools-log4j.properties`.
 */
export function writeLog4jConfig(stateDirectory: string, level: "INFO" | "WARN" = "INFO"): string {
  const path = join(stateDirectory, level === "INFO" ? "log4j.properties" : "tools-log4j.properties");
  writeFileSync(
    path,
    [
      `log4j.rootLogger=${level}, stdout`,
      "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
      "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
      "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
      "log4j.logger.kafka.request.logger=WARN",
      "log4j.logger.state.change.logger=WARN",
      "log4j.logger.kafka.log.LogCleaner=WARN",
      "log4j.logger.org.apache.zookeeper=WARN",
      "",
    ].join("\n"),
  );
  return `-Dlog4j.configuration=file:${path}`;
}

/** Renders a Java properties file from a record. */
export function writeProperties(
  path: string,
  properties: Readonly<Record<string, string | number | boolean>>,
): void {
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${String(value)}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
}
