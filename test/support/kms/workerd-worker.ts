// A Worker that exercises lib/signing inside workerd (bundled for the browser, as Wrangler does): a
// KMS signer through the SDK's browser build, a local WebCrypto signer, and a certificate from each;
// then an RSA key of each kind signing RS256, as cosign and bundles ask (a second WebCrypto import).
// The KMS URIs and the message arrive as query parameters; results go back as JSON for Node to verify.

import { toBase64 } from "../../../lib/encoding.ts";
import { certificatePem, createNotaryCertificate } from "../../../lib/signing/certificate.ts";
import { KmsSigner } from "../../../lib/signing/kms.ts";
import { LocalSigner } from "../../../lib/signing/local.ts";
import type { Signer } from "../../../lib/signing/signer.ts";

export interface WorkerdSigningResult {
  readonly keyId: string;
  readonly pem: string;
  /** base64 of each signature */
  readonly raw: string;
  readonly der: string;
  readonly largeDer: string;
  readonly certificate: string;
}

export interface WorkerdRs256Result {
  readonly pem: string;
  /** base64 of the RSASSA-PKCS1-v1_5 / SHA-256 signature */
  readonly rs256: string;
}

export interface WorkerdResponse {
  readonly kms: WorkerdSigningResult;
  readonly local: WorkerdSigningResult;
  readonly rs256: { readonly kms: WorkerdRs256Result; readonly local: WorkerdRs256Result };
}

const clientConfig = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDWORKERD", secretAccessKey: "x" },
};

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (!url.searchParams.has("uri")) return new Response(null, { status: 204 }); // readiness probe
    const message = new TextEncoder().encode(url.searchParams.get("message") ?? "");
    const large = new Uint8Array(5000).fill(3);
    const kms = await KmsSigner.open(url.searchParams.get("uri") ?? "", { clientConfig });
    const results: Record<string, WorkerdSigningResult> = {};
    const signers: [string, Signer][] = [
      ["kms", kms],
      ["local", await LocalSigner.generate("ES256")],
    ];
    for (const [name, signer] of signers) {
      results[name] = {
        keyId: signer.keyId,
        pem: (await signer.publicKey()).pem,
        raw: toBase64(await signer.sign(message, "raw")),
        der: toBase64(await signer.sign(message, "der")),
        largeDer: toBase64(await signer.sign(large, "der")),
        certificate: certificatePem(await createNotaryCertificate(signer, { subject: "CN=workerd" })),
      };
    }
    const rs256: Record<string, WorkerdRs256Result> = {};
    const rsaSigners: [string, Signer][] = [
      ["kms", await KmsSigner.open(url.searchParams.get("rsaUri") ?? "", { clientConfig })],
      ["local", await LocalSigner.generate("PS256")],
    ];
    for (const [name, signer] of rsaSigners) {
      rs256[name] = {
        pem: (await signer.publicKey()).pem,
        rs256: toBase64(await signer.sign(message, "der", { rsaPadding: "pkcs1v15" })),
      };
    }
    return Response.json({ ...results, rs256 });
  },
};
