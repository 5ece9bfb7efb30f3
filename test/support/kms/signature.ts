// Signing and verification as KMS does them, with real keys. RAW messages go through node:crypto.
// DIGEST messages need a sign-a-precomputed-hash primitive that node:crypto does not expose, so they go
// through `openssl pkeyutl`, which signs a digest for ECDSA, RSASSA-PSS and PKCS#1 v1.5 alike.
import { spawn, spawnSync } from "node:child_process";
import { constants, createHash, sign, verify } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { invalidKeyUsage, validation } from "./errors.ts";
import { type EmulatedKey, signingAlgorithms } from "./key-store.ts";

export type MessageType = "RAW" | "DIGEST";

interface Scheme {
  readonly kind: "ecdsa" | "pss" | "pkcs1";
  readonly hash: "sha256" | "sha384" | "sha512";
}

export interface SignatureInput {
  readonly key: EmulatedKey;
  readonly algorithm: string | undefined;
  readonly message: Buffer;
  readonly messageType: MessageType;
}

export function requireOpenssl(): void {
  if (spawnSync("openssl", ["version"]).status !== 0) {
    throw new Error(
      "the KMS emulator needs the openssl binary for DIGEST messages: apt-get install -y openssl",
    );
  }
}

export async function kmsSign(input: SignatureInput): Promise<Buffer> {
  const scheme = checkRequest(input);
  const privateKey = input.key.privateKey!;
  if (input.messageType === "DIGEST") {
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    return openssl(["pkeyutl", "-sign", "-inkey", "{0}", ...pkeyOptions(scheme)], input.message, [pem]);
  }
  return sign(scheme.hash, input.message, { key: privateKey, ...nodeOptions(scheme), dsaEncoding: "der" });
}

export async function kmsVerify(input: SignatureInput & { readonly signature: Buffer }): Promise<boolean> {
  const scheme = checkRequest(input);
  const publicKey = input.key.publicKey!;
  if (input.messageType === "DIGEST") {
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const args = ["pkeyutl", "-verify", "-pubin", "-inkey", "{0}", "-sigfile", "{1}", ...pkeyOptions(scheme)];
    return openssl(args, input.message, [pem, input.signature]).then(
      () => true,
      () => false,
    );
  }
  return verify(
    scheme.hash,
    input.message,
    { key: publicKey, ...nodeOptions(scheme), dsaEncoding: "der" },
    input.signature,
  );
}

function checkRequest(input: SignatureInput): Scheme {
  const { key, algorithm, message, messageType } = input;
  if (key.usage !== "SIGN_VERIFY") {
    throw invalidKeyUsage(`${key.arn} key usage is ${key.usage} which is not valid for Sign/Verify.`);
  }
  if (!algorithm || !signingAlgorithms(key.spec).includes(algorithm)) {
    throw invalidKeyUsage(`Algorithm ${algorithm ?? "null"} is incompatible with key spec ${key.spec}.`);
  }
  const scheme = parseAlgorithm(algorithm);
  if (message.length < 1 || message.length > 4096) {
    throw validation(
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
  }
  const digestLength = createHash(scheme.hash).digest().length;
  if (messageType === "DIGEST" && message.length !== digestLength) {
    throw validation(`Digest is invalid length for algorithm ${algorithm}.`);
  }
  return scheme;
}

function parseAlgorithm(algorithm: string): Scheme {
  const hash = `sha${algorithm.slice(-3)}` as Scheme["hash"];
  if (algorithm.startsWith("ECDSA_")) return { kind: "ecdsa", hash };
  if (algorithm.startsWith("RSASSA_PSS_")) return { kind: "pss", hash };
  return { kind: "pkcs1", hash };
}

// KMS's RSASSA_PSS_* use MGF1 with the same hash and a salt as long as the digest.
function nodeOptions(scheme: Scheme): { padding?: number; saltLength?: number } {
  if (scheme.kind === "pss")
    return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  if (scheme.kind === "pkcs1") return { padding: constants.RSA_PKCS1_PADDING };
  return {};
}

function pkeyOptions(scheme: Scheme): string[] {
  const options = ["-pkeyopt", `digest:${scheme.hash}`];
  if (scheme.kind === "pss") {
    options.push("-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest");
  }
  return options;
}

/**
 * Runs openssl with `input` on stdin; `files` are written to a private temp dir (0700, removed after)
 * and their paths replace `{0}`, `{1}`, ... in `args`. (Node's stdio "pipes" are sockets, which
 * openssl cannot open as /dev/fd/N, hence files.)
 */
async function openssl(args: string[], input: Buffer, files: (string | Buffer)[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "kms-emulator-"));
  try {
    const paths = await Promise.all(
      files.map(async (content, i) => {
        const path = join(dir, String(i));
        await writeFile(path, content, { mode: 0o600 });
        return path;
      }),
    );
    const resolved = args.map((arg) => arg.replace(/^\{(\d)\}$/, (_, i: string) => paths[Number(i)] ?? arg));
    return await run(resolved, input);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", args);
    const output: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => errors.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(output));
      else
        reject(
          new Error(`openssl ${args[0]} exited ${code}: ${Buffer.concat(errors).toString().slice(0, 200)}`),
        );
    });
    // openssl may exit before reading its input (bad key): that EPIPE is reported through `close`.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}
