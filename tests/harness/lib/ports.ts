import { createServer } from "node:net";
import { HarnessError } from "./errors";

/** The only address the harness binds or connects to. */
export const loopback = "127.0.0.1";

/** Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
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
