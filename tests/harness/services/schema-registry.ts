import { join } from "node:path";
import {
  defineService,
  findJava,
  freePorts,
  httpReady,
  loopback,
  resolveMaven,
  startJavaProcess,
} from "../lib";

/** Where the Schema-Registry-compatible server listens (no credentials: auth is off). */
export interface SchemaRegistryEndpoint {
  /** Confluent-compatible API base, `http://127.0.0.1:<port>/apis/ccompat/v7`: give it to Confluent clients. */
  readonly url: string;
  /** Apicurio's own REST API, `http://127.0.0.1:<port>/apis/registry/v3`. */
  readonly nativeUrl: string;
  /** Readiness endpoint on the management port. */
  readonly healthUrl: string;
}

/** Apicurio Registry 3 (Quarkus, in-memory H2 storage); readiness by its health endpoint. */
export const schemaRegistryService = defineService<SchemaRegistryEndpoint>({
  name: "registry",
  description: "Apicurio Registry 3.3.3 (Confluent-compatible API at /apis/ccompat/v7, in-memory storage)",
  prepare: async () => void (await resolveMaven("registry", { layout: "unpack" })),
  async start(context) {
    const { directory } = await resolveMaven("registry", { layout: "unpack" });
    const java = findJava("registry", { minimum: 21 });
    const [port = 0, managementPort = 0] = await freePorts(2);
    const healthUrl = `http://${loopback}:${managementPort}/health/ready`;
    const settings: Record<string, string | number> = {
      "quarkus.http.host": loopback,
      "quarkus.http.port": port,
      "quarkus.management.host": loopback,
      "quarkus.management.port": managementPort,
      "quarkus.otel.sdk.disabled": "true",
      "apicurio.storage.kind": "sql",
      "apicurio.storage.sql.kind": "h2",
      "apicurio.storage.snapshot.location": context.dataDir,
      "apicurio.import.work-dir": context.dataDir,
      "java.io.tmpdir": context.dataDir,
    };
    const registry = await startJavaProcess({
      service: "registry",
      stateDir: context.stateDir,
      logDir: context.logDir,
      java,
      classpath: [],
      jar: join(directory, "quarkus-run.jar"),
      jvmArgs: [
        "-Xmx384m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        ...Object.entries(settings).map(([key, value]) => `-D${key}=${value}`),
      ],
      cwd: context.stateDir,
      ports: [port, managementPort],
      readiness: httpReady(healthUrl),
      readinessTimeoutMs: 120_000,
    });
    const base = `http://${loopback}:${port}`;
    return {
      endpoint: { url: `${base}/apis/ccompat/v7`, nativeUrl: `${base}/apis/registry/v3`, healthUrl },
      processes: [registry],
    };
  },
});
