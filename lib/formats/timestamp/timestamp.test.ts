// RFC 3161 against a real engine (OpenSSL `ts -reply` behind test/support/tsa): what we ask, what we
// accept, and every reason a token is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestTsa, type TestTsa } from "../../../test/support/tsa/tsa.ts";
import { utf8 } from "../../encoding.ts";
import { httpTimestamper, TimestampAuthorityError } from "./client.ts";
import { encodeTimestampRequest, parseTimestampResponse } from "./messages.ts";
import { verifyTimestampToken } from "./token.ts";

let tsa: TestTsa;
let other: TestTsa;
const signature = utf8("a signature value");

beforeAll(async () => {
  [tsa, other] = await Promise.all([startTestTsa(), startTestTsa({ name: "Other TSA" })]);
}, 30_000);

afterAll(async () => {
  await Promise.all([tsa?.stop(), other?.stop()]);
});

describe("httpTimestamper", () => {
  it("gets a token over the signature, checked against the TSA root, for each hash", async () => {
    const client = httpTimestamper({ url: tsa.url, roots: [tsa.rootDer] });
    for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
      const before = Date.now() - 2000;
      const { token, response, verified } = await client.timestamp(signature, hash);
      expect(verified.info.hash).toBe(hash);
      expect(verified.genTime.getTime()).toBeGreaterThanOrEqual(before);
      expect(verified.accuracyMs).toBe(1000);
      expect(verified.chain.map((c) => c.subjectName)).toEqual([
        "CN=Countersign Test TSA, O=Countersign tests",
        "CN=Countersign Test TSA Root, O=Countersign tests",
      ]);
      expect(parseTimestampResponse(response)).toMatchObject({ status: 0, token });
    }
  });

  it("refuses an answer that does not verify against the configured root", async () => {
    const client = httpTimestamper({ url: tsa.url, roots: [other.rootDer] });
    await expect(client.timestamp(signature, "SHA-256")).rejects.toThrow(TimestampAuthorityError);
    await expect(client.timestamp(signature, "SHA-256")).rejects.toThrow(
      /does not chain to a trusted TSA root/,
    );
  });

  it("turns an HTTP failure and an unreachable TSA into a retryable TimestampAuthorityError", async () => {
    tsa.failWith(503);
    try {
      const failed = httpTimestamper({ url: tsa.url, roots: [tsa.rootDer] }).timestamp(signature, "SHA-256");
      await expect(failed).rejects.toMatchObject({ name: "TimestampAuthorityError", retryable: true });
    } finally {
      tsa.failWith(undefined);
    }
    const gone = httpTimestamper({ url: "http://127.0.0.1:9/", roots: [tsa.rootDer] });
    await expect(gone.timestamp(signature, "SHA-256")).rejects.toThrow(/did not answer/);
  });

  it("encodes the request as tspclient-go does (version 1, SHA-256 imprint with NULL parameters, certReq)", () => {
    const request = encodeTimestampRequest({
      hash: "SHA-256",
      hashedMessage: new Uint8Array(32),
      nonce: 5n,
      certReq: true,
    });
    expect(Buffer.from(request).toString("hex")).toBe(
      `303c0201013031300d060960864801650304020105000420${"0".repeat(64)}0201050101ff`,
    );
  });
});

describe("verifyTimestampToken", () => {
  let token: Uint8Array;

  beforeAll(async () => {
    ({ token } = await httpTimestamper({ url: tsa.url, roots: [tsa.rootDer] }).timestamp(
      signature,
      "SHA-256",
    ));
  });

  it("accepts the token over the data it was made for", async () => {
    const verified = await verifyTimestampToken(token, {
      data: signature,
      authorities: [{ roots: [tsa.rootDer] }],
    });
    expect(verified.chain).toHaveLength(2);
  });

  it.each<[string, () => Parameters<typeof verifyTimestampToken>, RegExp]>([
    [
      "other data",
      () => [token, { data: utf8("other"), authorities: [{ roots: [tsa.rootDer] }] }],
      /messageImprint/,
    ],
    [
      "another root",
      () => [token, { data: signature, authorities: [{ roots: [other.rootDer] }] }],
      /trusted TSA root/,
    ],
    ["no authority", () => [token, { data: signature, authorities: [] }], /no timestamping authority/],
    [
      "a leaf pinned to another certificate",
      () => [token, { data: signature, authorities: [{ roots: [tsa.rootDer], leaf: other.leafDer }] }],
      /not this authority's TSA certificate|neither in the token/,
    ],
    [
      "a validFor window that ended",
      () => [
        token,
        { data: signature, authorities: [{ roots: [tsa.rootDer], validFor: { end: new Date(0) } }] },
      ],
      /outside the authority's validFor/,
    ],
  ])("refuses %s", async (_name, args, reason) => {
    await expect(verifyTimestampToken(...args())).rejects.toThrow(reason);
  });

  it("refuses a token whose signed content was altered", async () => {
    const tampered = new Uint8Array(token);
    // The genTime digits live inside the TSTInfo: flip one and the message-digest attribute breaks.
    const at = Buffer.from(tampered).indexOf(Buffer.from(String(new Date().getUTCFullYear())));
    tampered[at + 3]! ^= 1;
    await expect(
      verifyTimestampToken(tampered, { data: signature, authorities: [{ roots: [tsa.rootDer] }] }),
    ).rejects.toThrow(/message-digest attribute/);
  });

  it("refuses bytes that are not a token", async () => {
    await expect(
      verifyTimestampToken(utf8("not DER"), { data: signature, authorities: [{ roots: [tsa.rootDer] }] }),
    ).rejects.toThrow(/malformed/);
  });
});
