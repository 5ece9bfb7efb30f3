// Verification material from files, as the CLI flags and the Node configuration name them: certificate
// folders, notation's trust policy with its truststore layout (x509/<type>/<name>/*.pem|crt|cer, as
// `notation cert add` writes it), and a Sigstore trusted_root.json.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { NotationTrust } from "../../lib/formats/notary/trust-policy.ts";
import { TrustPolicyDocument, TrustStoreTypes } from "../../lib/formats/notary/trust-policy.ts";
import { parseTrustedRoot, type SigstoreTrustedRoot } from "../../lib/formats/sigstore/trusted-root.ts";
import { parseCertificateChain } from "../../lib/signing/certificate.ts";

export class TrustFileError extends Error {
  override readonly name = "TrustFileError";
}

const CERTIFICATE_FILE = /\.(pem|crt|cer)$/i;

/** Every certificate in the PEM files of `dir` (sorted by name); a file may hold several. */
export async function readCertificateDir(dir: string): Promise<Uint8Array[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => CERTIFICATE_FILE.test(name)).sort();
  } catch (error) {
    throw new TrustFileError(`cannot read certificate folder ${dir} (${(error as { code?: string }).code})`, {
      cause: error,
    });
  }
  const certificates: Uint8Array[] = [];
  for (const name of names)
    certificates.push(...parseCertificateChain(await readFile(join(dir, name), "utf8")));
  if (certificates.length === 0) throw new TrustFileError(`no certificates (*.pem, *.crt, *.cer) in ${dir}`);
  return certificates;
}

/** Certificates of a PEM file or of a folder of them. */
export async function readCertificates(path: string): Promise<Uint8Array[]> {
  if ((await stat(path)).isDirectory()) return readCertificateDir(path);
  const certificates = parseCertificateChain(await readFile(path, "utf8"));
  if (certificates.length === 0) throw new TrustFileError(`no PEM certificate in ${path}`);
  return certificates;
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
    try {
      stores[reference] = await readCertificateDir(dir);
    } catch (error) {
      if (!(error instanceof TrustFileError)) throw error;
    }
  }
  return { policy: parsed.data, stores };
}

export async function readTrustedRootFile(file: string): Promise<SigstoreTrustedRoot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TrustFileError(`cannot read the trusted root ${file} (${(error as { code?: string }).code})`, {
      cause: error,
    });
  }
  try {
    return parseTrustedRoot(text);
  } catch (error) {
    throw new TrustFileError(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
