import { errors, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { KeySetUnavailableError, remoteKeySet } from "./key-set.ts";
import { OidcTokenRejectedError, verifyOidcToken } from "./verify-token.ts";

const URL_ = "https://issuer.example/.well-known/jwks.json";
const now = new Date("2026-11-22T12:00:00Z");

async function issuer() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" };
  const token = (kid: string) =>
    new SignJWT({ email: "a@b" })
      .setProtectedHeader({ alg: "RS256", kid })
      .setIssuer("https://issuer.example")
      .setAudience("countersign")
      .setIssuedAt(now)
      .setExpirationTime(new Date(now.getTime() + 60_000))
      .sign(privateKey);
  return { jwk, token };
}

const options = (keys: Parameters<typeof verifyOidcToken>[1]["keys"]) => ({
  keys,
  issuer: "https://issuer.example",
  audience: "countersign",
  requiredClaims: ["exp", "iat"],
  now,
  clockToleranceSeconds: 30,
});

describe("remoteKeySet", () => {
  it("verifies a token with a key of the set", async () => {
    const { jwk, token } = await issuer();
    const keys = remoteKeySet(URL_, "the test key set", async () => Response.json({ keys: [jwk] }));
    expect((await verifyOidcToken(await token("k1"), options(keys))).email).toBe("a@b");
  });

  it("tells a key set that cannot be fetched (an outage) from a token no key matches", async () => {
    const { jwk, token } = await issuer();
    const down = remoteKeySet(URL_, "the test key set", async () => new Response("busy", { status: 503 }));
    const outage = await verifyOidcToken(await token("k1"), options(down)).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(KeySetUnavailableError);
    expect((outage as Error).message).toBe("the test key set could not be fetched");
    const up = remoteKeySet(URL_, "the test key set", async () => Response.json({ keys: [jwk] }));
    const stranger = await verifyOidcToken(await token("k2"), options(up)).catch((e: unknown) => e);
    expect(stranger).toBeInstanceOf(OidcTokenRejectedError);
    expect((stranger as OidcTokenRejectedError).cause).toBeInstanceOf(errors.JWKSNoMatchingKey);
  });
});
