// Signing keys on Node: key files (PEM in any of OpenSSL's layouts, or a private JWK), the key
// generated on first use in the data directory (the embedded default), its self-signed Notary
// certificate, and `--key` values that may name a file or an AWS KMS key.
import { createPrivateKey, randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { CertificateStore } from "../../lib/signing/certificate-store.ts";
import { KeyFormatError, UnsupportedKeyError } from "../../lib/signing/errors.ts";
import { isKmsKeyUri } from "../../lib/signing/key-uri.ts";
import { KmsSigner, type KmsSignerOptions } from "../../lib/signing/kms.ts";
import { LocalSigner, type LocalSignerOptions } from "../../lib/signing/local.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { fileProblem } from "./file-problem.ts";

export const dataDirKeyFile = "signing-key.pem";
export const dataDirCertificateFile = "signing-cert.pem";

/** Reads a private key file: PKCS#8, SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM, or a JWK. */
export async function loadKeyFile(path: string, options: LocalSignerOptions = {}): Promise<LocalSigner> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new KeyFormatError(`${path}: cannot read the key file: ${fileProblem(error)}`, { cause: error });
  }
  return parseKeyFile(text, path, options);
}

/** Parses key file contents; `shown` names the source in errors, which never quote the contents. */
export async function parseKeyFile(
  text: string,
  shown: string,
  options: LocalSignerOptions = {},
): Promise<LocalSigner> {
  if (text.trimStart().startsWith("{")) {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(text) as JsonWebKey;
    } catch {
      // No cause: V8's JSON errors quote the text around the fault, i.e. key material.
      throw new KeyFormatError(`${shown}: not valid JSON`);
    }
    return withSource(shown, () => LocalSigner.fromJwk(jwk, options));
  }
  if (/ENCRYPTED/.test(text)) {
    throw new KeyFormatError(
      `${shown}: encrypted private keys are not supported; decrypt with \`openssl pkcs8 -topk8 -nocrypt\``,
    );
  }
  let pkcs8: Uint8Array;
  try {
    // OpenSSL reads every common PEM layout; WebCrypto (and lib/) only PKCS#8.
    pkcs8 = createPrivateKey({ key: text, format: "pem" }).export({ type: "pkcs8", format: "der" });
  } catch {
    throw new KeyFormatError(`${shown}: no private key found (expected a PEM private key or a private JWK)`);
  }
  return withSource(shown, () => LocalSigner.fromPkcs8(pkcs8, options));
}

/** Writes a new key file readable by its owner only (0600); never overwrites an existing file. */
export async function writeKeyFile(
  path: string,
  signer: LocalSigner,
  format: "pem" | "jwk" = "pem",
): Promise<void> {
  const content =
    format === "pem" ? await signer.exportPkcs8Pem() : `${JSON.stringify(await signer.exportJwk())}\n`;
  await writeNewFile(path, content, 0o600);
}

/**
 * The P-256 key kept at `<dataDir>/signing-key.pem`, generated on first use. Concurrent first starts
 * agree on one key: each writes a private temp file and hard-links it into place, which fails for all
 * but one; the others read the winner's key. An unreadable existing key is an error, never replaced.
 */
export async function loadOrCreateDataDirKey(dataDir: string): Promise<LocalSigner> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, dataDirKeyFile);
  const existing = await loadIfPresent(path);
  if (existing) return existing;
  const signer = await LocalSigner.generate("ES256");
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeKeyFile(temporary, signer);
  return (await linkInPlace(temporary, path)) ? signer : loadKeyFile(path);
}

/**
 * The data directory as a CertificateStore: `<dataDir>/signing-cert.pem`, so that the self-signed Notary
 * certificate stays the same across restarts, for whatever key the directory signs with.
 * Processes sharing the directory race as isolates do on D1: the first new file wins (a hard link
 * fails for the others), and a renewal replaces only the file it read.
 */
export function dataDirCertificateStore(dataDir: string): CertificateStore {
  const path = join(dataDir, dataDirCertificateFile);
  const read = () =>
    readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
  return {
    read,
    async write(_keyId, certificate, previous) {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (previous === undefined) return createFile(path, certificate.pem, 0o644);
      if ((await read()) === previous) await replaceFile(path, certificate.pem, 0o644);
    },
  };
}

export interface OpenSignerOptions {
  /** For `awskms://` keys. */
  readonly kms?: KmsSignerOptions;
  /** For key files. */
  readonly local?: LocalSignerOptions;
  /** Where the default key lives when `key` is undefined. */
  readonly dataDir?: string;
}

/** The signer a `--key` value (or the `signer.key` setting) names: awskms:// URI, key file, or the data-dir key. */
export async function openSigner(key: string | undefined, options: OpenSignerOptions = {}): Promise<Signer> {
  if (key !== undefined && isKmsKeyUri(key)) return KmsSigner.open(key, options.kms);
  if (key !== undefined) return loadKeyFile(key, options.local);
  if (options.dataDir === undefined)
    throw new KeyFormatError("no key given and no data directory to keep one in");
  return loadOrCreateDataDirKey(options.dataDir);
}

async function loadIfPresent(path: string): Promise<LocalSigner | undefined> {
  try {
    return await loadKeyFile(path);
  } catch (error) {
    if (
      error instanceof KeyFormatError &&
      (error.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
    ) {
      return undefined;
    }
    throw error;
  }
}

/** Moves `temporary` to `path` unless `path` exists; false when another writer's file is there already. */
async function linkInPlace(temporary: string, path: string): Promise<boolean> {
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    await unlink(temporary);
  }
}

/** Writes a new file at `path` with `content`, unless one is there already. */
async function createFile(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeNewFile(temporary, content, mode);
  await linkInPlace(temporary, path);
}

/** Writes `content` beside `path`, then renames it over `path`: readers see the old file or the new one. */
async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeNewFile(temporary, content, mode);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

async function writeNewFile(path: string, content: string, mode: number): Promise<void> {
  const file = await open(path, "wx", mode);
  try {
    await file.writeFile(content);
    await file.chmod(mode); // the umask cannot widen `mode`, but an odd filesystem might ignore it
  } finally {
    await file.close();
  }
}

/** Names the file in lib's key errors, keeping their type. */
async function withSource(shown: string, load: () => Promise<LocalSigner>): Promise<LocalSigner> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof UnsupportedKeyError)
      throw new UnsupportedKeyError(`${shown}: ${error.message}`, { cause: error });
    if (error instanceof KeyFormatError)
      throw new KeyFormatError(`${shown}: ${error.message}`, { cause: error });
    throw error;
  }
}
