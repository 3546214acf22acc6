/**
 * Stand-in for tecnativa/docker-socket-proxy (Docker Hub, unreachable here), which the Docker target
 * runs between Airflow and the engine: an HTTP server on 127.0.0.1 that forwards to the engine's
 * socket only the API sections the target's `dockerSocketProxyPermissions` allow, with the same
 * rules as that image (a section is allowed when its variable is 1; a method other than GET/HEAD
 * also needs POST=1, DELETE needs DELETE=1 too) and answers 403 to the rest, recording what it denied.
 */
import { createServer, request } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { dockerSocketProxyPermissions } from "../../infra/docker/target";

/** API path sections of the proxy, by permission variable (the image's haproxy.cfg). */
const sections: Record<string, RegExp> = {
  CONTAINERS: /^\/containers/,
  IMAGES: /^\/images/,
  VERSION: /^\/version/,
  PING: /^\/_ping/,
  INFO: /^\/info/,
  EXEC: /^\/exec/,
  VOLUMES: /^\/volumes/,
  NETWORKS: /^\/networks/,
};

/** A running proxy: its URL for DOCKER_URL, the requests it refused, and stop(). */
export interface SocketProxy {
  readonly url: string;
  readonly denied: string[];
  stop(): Promise<void>;
}

/** Whether the permissions let `method path` through. */
export function allowed(permissions: readonly string[], method: string, path: string): boolean {
  const granted = new Set(
    permissions.filter((entry) => entry.endsWith("=1")).map((entry) => entry.split("=")[0]),
  );
  const bare = path.replace(/^\/v[\d.]+/, "").split("?")[0] ?? "";
  const section = Object.entries(sections).find(([, pattern]) => pattern.test(bare));
  if (!section || !granted.has(section[0])) return false;
  if (method === "GET" || method === "HEAD") return true;
  if (!granted.has("POST")) return false;
  return method !== "DELETE" || granted.has("DELETE");
}

/** Starts the proxy in front of the engine socket `socketPath`. */
export async function startSocketProxy(
  socketPath: string,
  permissions = dockerSocketProxyPermissions,
): Promise<SocketProxy> {
  const denied: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const method = incoming.method ?? "GET";
    const path = incoming.url ?? "/";
    if (!allowed(permissions, method, path)) {
      denied.push(`${method} ${path}`);
      outgoing.writeHead(403, { "Content-Type": "text/plain" }).end("Forbidden\n");
      return;
    }
    const upstream = request({ socketPath, method, path, headers: incoming.headers }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    upstream.on("error", (error) => outgoing.destroy(error));
    incoming.pipe(upstream);
  });
  // Attach (DockerOperator's log stream) upgrades the connection to a raw stream: pass the request
  // on verbatim and splice the two sockets, as haproxy does.
  server.on("upgrade", (incoming: IncomingMessage, client: Duplex, head: Buffer) => {
    const method = incoming.method ?? "GET";
    const path = incoming.url ?? "/";
    if (!allowed(permissions, method, path)) {
      denied.push(`${method} ${path}`);
      client.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nForbidden\n");
      return;
    }
    const engine = connect(socketPath, () => {
      const headers = [];
      for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
        headers.push(`${incoming.rawHeaders[i]}: ${incoming.rawHeaders[i + 1]}`);
      }
      engine.write(`${method} ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) engine.write(head);
      engine.pipe(client);
      client.pipe(engine);
    });
    engine.on("error", () => client.destroy());
    client.on("error", () => engine.destroy());
  });
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    denied,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
