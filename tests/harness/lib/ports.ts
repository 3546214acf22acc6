import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { HarnessError } from "./errors";

/** The only address the harness binds or connects to. */
export const loopback = "127.0.0.1";

/** Ports handed out by this process, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, chosen at random BELOW the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range). A port from the ephemeral range could be taken as the
 * source port of any outgoing connection between now and the moment a slow service (Cassandra
 * binds ~30 s after start) binds it; ports below the range are only ever taken by explicit binds.
 * Falls back to asking the kernel (port 0) when there is no room below the range.
 */
export async function freePort(): Promise<number> {
  const [low, high] = nonEphemeralRange();
  for (let attempt = 0; attempt < 200 && high > low; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return kernelPort();
}

function nonEphemeralRange(): [number, number] {
  try {
    const ephemeralLow = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    if (Number.isInteger(ephemeralLow) && ephemeralLow > 12_000) return [10_000, ephemeralLow - 1];
  } catch {
    // not Linux: fall through
  }
  return [0, 0];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.unref();
    server.on("error", () => resolvePromise(false));
    server.listen(port, loopback, () => server.close(() => resolvePromise(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, loopback, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Throws a one-line "port taken" {@link HarnessError} when `port` cannot be bound on 127.0.0.1. */
export function assertPortFree(service: string, port: number, logPath?: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new HarnessError(service, `port ${loopback}:${port} taken (${error.code ?? error.message})`, logPath),
      ),
    );
    server.listen(port, loopback, () => server.close(() => resolvePromise()));
  });
}
