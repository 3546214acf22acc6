import { join } from "node:path";
import { connect } from "node:net";
import { defineService, freePort, loopback, resolveMaven, startJavaProcess } from "../lib";
import { kafkaJvmFlags, kafkaRuntime, writeLog4jConfig, writeProperties } from "./kafka-common";

/** Where ZooKeeper listens. */
export interface ZooKeeperEndpoint {
  /** `127.0.0.1:<port>`, the value of Kafka's `zookeeper.connect`. */
  readonly connect: string;
}

/** Standalone ZooKeeper (the version the harness' Kafka depends on), readiness by the `ruok` four-letter word. */
export const zookeeperService = defineService<ZooKeeperEndpoint>({
  name: "zookeeper",
  description: "Apache ZooKeeper (standalone, from kafka_2.13's dependencies)",
  prepare: async () => void (await resolveMaven("kafka")),
  async start(context) {
    const { classpath, java } = await kafkaRuntime("zookeeper");
    const port = await freePort();
    const configPath = join(context.stateDir, "zookeeper.properties");
    writeProperties(configPath, {
      dataDir: context.dataDir,
      clientPort: port,
      clientPortAddress: loopback,
      maxClientCnxns: 0,
      "admin.enableServer": false,
      "4lw.commands.whitelist": "ruok,srvr",
      tickTime: 2000,
    });
    const zookeeper = await startJavaProcess({
      service: "zookeeper",
      stateDir: context.stateDir,
      logDir: context.logDir,
      java,
      classpath,
      mainClass: "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      jvmArgs: ["-Xmx256m", ...kafkaJvmFlags, writeLog4jConfig(context.stateDir)],
      args: [configPath],
      ports: [port],
      readiness: () => fourLetterWord(port, "ruok").then((answer) => answer === "imok"),
      readinessTimeoutMs: 60_000,
    });
    return { endpoint: { connect: `${loopback}:${port}` }, processes: [zookeeper] };
  },
});

/** Sends a ZooKeeper four-letter word and resolves with the answer. */
export function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: loopback, port });
    let answer = "";
    socket.setTimeout(2_000);
    socket.on("connect", () => socket.write(word));
    socket.on("data", (chunk) => (answer += chunk.toString()));
    socket.on("end", () => resolvePromise(answer.trim()));
    socket.on("timeout", () => {
      socket.destroy();
      reject(new Error("timeout"));
    });
    socket.on("error", reject);
  });
}
