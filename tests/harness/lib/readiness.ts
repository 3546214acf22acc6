import { connect } from "node:net";
import { loopback } from "./ports";

/** Readiness check: an HTTP GET on `url` answers with a 2xx status within 3 s. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    await response.arrayBuffer();
    return response.ok;
  };
}

/** Readiness check: a TCP connection to 127.0.0.1:`port` is accepted (weak; prefer a protocol check). */
export function tcpReady(port: number): () => Promise<boolean> {
  return () =>
    new Promise((resolvePromise) => {
      const socket = connect({ host: loopback, port });
      socket.setTimeout(2_000);
      const finish = (ready: boolean): void => {
        socket.destroy();
        resolvePromise(ready);
      };
      socket.on("connect", () => finish(true));
      socket.on("timeout", () => finish(false));
      socket.on("error", () => finish(false));
    });
}
