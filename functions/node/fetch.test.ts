import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPooledFetch } from "./fetch.ts";

let server: ReturnType<typeof createServer>;
let url: string;
const sockets = new Set<unknown>();
let concurrent = 0;
let maxConcurrent = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(req.socket);
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    setTimeout(() => {
      concurrent--;
      res.end("ok");
    }, 20);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("createPooledFetch", () => {
  it("reuses kept-alive connections and bounds them per origin", async () => {
    const pooled = createPooledFetch({ connectionsPerOrigin: 3 });
    try {
      for (let round = 0; round < 3; round++) {
        const bodies = await Promise.all(
          Array.from({ length: 12 }, async () => (await pooled.fetch(url)).text()),
        );
        expect(bodies.every((b) => b === "ok")).toBe(true);
      }
      expect(maxConcurrent).toBeLessThanOrEqual(3);
      // 36 requests over at most 3 sockets.
      expect(sockets.size).toBeLessThanOrEqual(3);
    } finally {
      await pooled.close();
    }
  });

  it("works as the registry client's fetch (headers, methods, bodies)", async () => {
    const pooled = createPooledFetch();
    try {
      const response = await pooled.fetch(url, { method: "PUT", body: new Uint8Array([1, 2, 3]) });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBe("2");
      expect(await response.text()).toBe("ok");
    } finally {
      await pooled.close();
    }
  });
});
