// Signing throughput per format: signatures per second and CPU time per signature with a local key
// (P-256, and RSA-3072: PS384 for Notary, RS256 for cosign and bundles, as cosign verifies RSA), beside a
// bare WebCrypto sign of the same bytes with the same scheme; then KMS calls per signature through the
// KMS emulator and the real AWS SDK.
//
//   node bench/sign.ts [--iterations 400]
import { buildSigstoreBundle } from "../lib/formats/bundle/build.ts";
import { InTotoPayloadType, preAuthEncoding, signStatement } from "../lib/formats/bundle/statement.ts";
import { buildCosignSignature } from "../lib/formats/cosign/build.ts";
import { simpleSigningPayload } from "../lib/formats/cosign/payload.ts";
import { buildNotarySignature } from "../lib/formats/notary/build.ts";
import type { Descriptor } from "../lib/oci/descriptor.ts";
import { algorithmParameters, signingAlgorithm, signParameters } from "../lib/signing/algorithm.ts";
import { createNotaryCertificate } from "../lib/signing/certificate.ts";
import { KmsSigner } from "../lib/signing/kms.ts";
import { LocalSigner } from "../lib/signing/local.ts";
import type { Signer, SigningAlgorithm } from "../lib/signing/signer.ts";
import { startKmsEmulator } from "../test/support/kms/emulator.ts";

const subject: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"b8479de3".repeat(8)}`,
  size: 517,
};
const dockerReference = "registry.example.com/team/app";
const iterationsArg = process.argv.indexOf("--iterations");
const baseIterations = iterationsArg > 0 ? Number(process.argv[iterationsArg + 1]) : 400;

interface Measurement {
  readonly perSecond: number;
  readonly cpuMicros: number;
}

async function measure(iterations: number, operation: () => Promise<unknown>): Promise<Measurement> {
  for (let i = 0; i < Math.min(20, iterations); i++) await operation(); // warm-up: JIT, key import caches
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await operation();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: iterations / seconds, cpuMicros: (used.user + used.system) / iterations };
}

/** The same bytes the format signs, signed by a bare WebCrypto key with the same scheme: the floor. */
async function bareSign(algorithm: SigningAlgorithm, bytes: Uint8Array): Promise<() => Promise<unknown>> {
  const p = algorithmParameters(algorithm);
  const generate =
    p.kind === "ECDSA"
      ? { name: "ECDSA", namedCurve: p.namedCurve }
      : { name: p.kind, hash: p.hash, modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]) };
  const pair = (await crypto.subtle.generateKey(generate, false, ["sign", "verify"])) as CryptoKeyPair;
  const data = new Uint8Array(bytes);
  return () => crypto.subtle.sign(signParameters(algorithm), pair.privateKey, data);
}

async function formatOperations(signer: Signer) {
  const certificate = await createNotaryCertificate(signer, { subject: { commonName: "bench" } });
  return {
    notary: () => buildNotarySignature({ subject, signer, certificateChain: [certificate] }),
    cosign: () => buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer }),
    bundle: () => buildSigstoreBundle({ subject, signer }),
  };
}

/** What each format hands to the signer, to sign the same bytes in the baseline. */
async function signedBytes(signer: Signer): Promise<Record<"notary" | "cosign" | "bundle", Uint8Array>> {
  const certificate = await createNotaryCertificate(signer, { subject: { commonName: "bench" } });
  const envelope = JSON.parse(
    new TextDecoder().decode(
      (await buildNotarySignature({ subject, signer, certificateChain: [certificate] })).layer.bytes,
    ),
  );
  return {
    notary: new TextEncoder().encode(`${envelope.protected}.${envelope.payload}`),
    cosign: simpleSigningPayload(dockerReference, subject.digest),
    bundle: preAuthEncoding(InTotoPayloadType, signStatement(subject.digest)),
  };
}

function row(cells: readonly (string | number)[]): string {
  return cells.map((cell, i) => String(cell).padEnd(i === 0 ? 22 : 14)).join("");
}

async function localKeys(): Promise<void> {
  console.log(`Local keys (LocalSigner, WebCrypto), sequential, ${process.version}`);
  console.log(row(["key / format", "sig/s", "CPU µs/sig", "bare sig/s", "bare CPU µs", "overhead"]));
  for (const algorithm of ["ES256", "PS384"] as const) {
    const signer = await LocalSigner.generate(algorithm);
    const iterations = algorithm === "ES256" ? baseIterations : Math.max(20, Math.round(baseIterations / 4));
    const operations = await formatOperations(signer);
    const bytes = await signedBytes(signer);
    for (const format of ["notary", "cosign", "bundle"] as const) {
      const built = await measure(iterations, operations[format]);
      // cosign and bundles ask RSA keys for RS256 (signer.ts); the floor signs with what they get.
      const scheme =
        format === "notary" ? algorithm : signingAlgorithm(algorithm, { rsaPadding: "pkcs1v15" });
      const bare = await measure(iterations, await bareSign(scheme, bytes[format]));
      const label = `${algorithm === "ES256" ? "P-256" : "RSA-3072"} ${format}`;
      console.log(
        row([
          label,
          built.perSecond.toFixed(0),
          built.cpuMicros.toFixed(0),
          bare.perSecond.toFixed(0),
          bare.cpuMicros.toFixed(0),
          `+${(built.cpuMicros - bare.cpuMicros).toFixed(0)} µs`,
        ]),
      );
    }
  }
}

async function kmsCalls(): Promise<void> {
  const emulator = await startKmsEmulator();
  try {
    const host = new URL(emulator.endpoint).host;
    const clientConfig = {
      region: emulator.region,
      credentials: { accessKeyId: "AKIDCOUNTERSIGNBENCH", secretAccessKey: "bench-secret-not-real" },
    };
    console.log("\nKMS emulator (real @aws-sdk/client-kms over loopback HTTP)");
    console.log(row(["key / format", "signatures", "Sign calls", "other calls", "Sign/sig", "sig/s"]));
    for (const spec of ["ECC_NIST_P256", "RSA_3072"] as const) {
      const key = await emulator.createKey(spec);
      const signer = await KmsSigner.open(`awskms://${host}/${key.arn}`, { clientConfig });
      const operations = await formatOperations(signer); // includes the one Sign of the certificate
      const count = 25;
      for (const format of ["notary", "cosign", "bundle"] as const) {
        emulator.resetCalls();
        const start = performance.now();
        for (let i = 0; i < count; i++) await operations[format]();
        const seconds = (performance.now() - start) / 1000;
        const calls = emulator.calls;
        const sign = calls.Sign.received;
        const other = Object.entries(calls).reduce(
          (n, [name, c]) => (name === "Sign" ? n : n + c.received),
          0,
        );
        console.log(
          row([
            `${spec} ${format}`,
            count,
            sign,
            other,
            (sign / count).toFixed(2),
            (count / seconds).toFixed(0),
          ]),
        );
      }
    }
  } finally {
    await emulator.stop();
  }
}

await localKeys();
await kmsCalls();
