// Test servers listen on a free port of 127.0.0.1 only: tests never open a port beyond loopback.
import type { Server } from "node:http";

/** Starts `server` on a free loopback port and resolves with the port; rejects if it cannot listen. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (typeof address === "object" && address !== null) resolve(address.port);
      else reject(new Error("the server has no port"));
    });
  });
}
