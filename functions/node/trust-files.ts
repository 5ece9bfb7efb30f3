// Verification material from files, as the CLI flags and the Node configuration name them: certificate
// folders, notation's trust policy with its truststore layout (x509/<type>/<name>/*.pem|crt|cer, as
// `notation cert add` writes it), and a Sigstore trusted_root.json.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { NotationTrust } from "../../lib/formats/notary/trust-policy.ts";
import { TrustPolicyDocument, TrustStoreTypes } from "../../lib/formats/notary/trust-policy.ts";
import { parseTrustedRoot, type SigstoreTrustedRoot } from "../../lib/formats/sigstore/trusted-root.ts";
import { parseCertificateChain } from "../../lib/signing/certificate.ts";
import { fileProblem } from "./file-problem.ts";

export class TrustFileError extends Error {
  override readonly name = "TrustFileError";
}

const CERTIFICATE_FILE = /\.(pem|crt|cer)$/i;

/**
 * The certificates of a PEM file, or of the PEM files of a folder (*.pem, *.crt, *.cer, sorted by name;
 * a file may hold several). A folder may keep other PEM files beside the certificates (a data directory
 * keeps signing-key.pem next to signing-cert.pem): files without a certificate are passed over. Every
 * error is a TrustFileError that starts with the file or folder it is about.
 */
export async function readCertificates(path: string): Promise<Uint8Array[]> {
  let directory: boolean;
  try {
    directory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new TrustFileError(`${path}: ${fileProblem(error)}`, { cause: error });
  }
  const certificates = directory ? await certificatesIn(path) : await certificatesOf(path);
  if (certificates.length === 0) {
    const where = directory ? " in its *.pem, *.crt and *.cer files" : "";
    throw new TrustFileError(`${path}: no certificate found (expected PEM "CERTIFICATE" blocks${where})`);
  }
  return certificates;
}

async function certificatesIn(dir: string): Promise<Uint8Array[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => CERTIFICATE_FILE.test(name)).sort();
  } catch (error) {
    throw new TrustFileError(`${dir}: ${fileProblem(error)}`, { cause: error });
  }
  const certificates: Uint8Array[] = [];
  for (const name of names) certificates.push(...(await certificatesOf(join(dir, name))));
  return certificates;
}

async function certificatesOf(file: string): Promise<Uint8Array[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TrustFileError(`${file}: ${fileProblem(error)}`, { cause: error });
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) return [];
  try {
    return parseCertificateChain(text);
  } catch (error) {
    throw new TrustFileError(`${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A notation trust policy (trustpolicy.json) and the stores it names, read from `storeRoot` laid out as
 * notation's truststore folder: `x509/<ca|signingAuthority|tsa>/<name>/`. A store that is absent stays
 * absent: verification then fails the step that needs it, as notation does.
 */
export async function readNotationTrust(
  policyFile: string,
  storeRoot: string | undefined,
): Promise<NotationTrust> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(policyFile, "utf8"));
  } catch (error) {
    throw new TrustFileError(`cannot read the trust policy ${policyFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = TrustPolicyDocument.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TrustFileError(
      `invalid trust policy ${policyFile}: ${issue?.path.join(".")} ${issue?.message}`,
    );
  }
  const stores: Record<string, Uint8Array[]> = {};
  const named = new Set(parsed.data.trustPolicies.flatMap((statement) => statement.trustStores));
  for (const reference of named) {
    const [type, name] = reference.split(":") as [string, string];
    if (storeRoot === undefined || !TrustStoreTypes.includes(type as never)) continue;
    const dir = join(storeRoot, "x509", type, name);
    const found = await certificatesIn(dir).catch((error: TrustFileError) => {
      const code = (error.cause as { code?: string } | undefined)?.code;
      if (code === "ENOENT" || code === "ENOTDIR") return [];
      throw error;
    });
    if (found.length > 0) stores[reference] = found;
  }
  return { policy: parsed.data, stores };
}

export async function readTrustedRootFile(file: string): Promise<SigstoreTrustedRoot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TrustFileError(`cannot read the trusted root ${file}: ${fileProblem(error)}`, { cause: error });
  }
  try {
    return parseTrustedRoot(text);
  } catch (error) {
    throw new TrustFileError(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
