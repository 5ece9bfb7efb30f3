import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readBodyCapped } from "./request-body.ts";

function streamed(chunks: number, size: number): Request {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === chunks) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(sent));
    },
  });
  return new Request("http://h/", { method: "POST", body, duplex: "half" } as RequestInit);
}

describe("readBodyCapped", () => {
  it("reads a body up to the cap exactly", async () => {
    const body = await readBodyCapped(streamed(4, 25), 100);
    expect(body.byteLength).toBe(100);
    expect(body[0]).toBe(1);
    expect(body[99]).toBe(4);
  });

  it("refuses a streamed body one byte over", async () => {
    await expect(readBodyCapped(streamed(101, 1), 100)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it("refuses a declared length over the cap without reading", async () => {
    const request = new Request("http://h/", {
      method: "POST",
      body: "x",
      headers: { "content-length": "101" },
    });
    await expect(readBodyCapped(request, 100)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(request.bodyUsed).toBe(false);
  });

  it("reads an empty body", async () => {
    expect((await readBodyCapped(new Request("http://h/"), 10)).byteLength).toBe(0);
  });
});
