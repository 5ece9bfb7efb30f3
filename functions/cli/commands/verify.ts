// `countersign verify <ref>`: which signature formats attached to an image verify with a key; exit 0
// only when every requested format has at least one valid signature. Works on OCI layouts too.
import { verifySubject } from "../../../lib/attach/verify-subject.ts";
import type { VerificationMaterial } from "../../../lib/formats/format.ts";
import { signatureFormat } from "../../../lib/formats/index.ts";
import type { PublicKeyInput } from "../../../lib/formats/public-key.ts";
import type { Repository } from "../../../lib/oci/remote/repository.ts";
import { KeyFormatError, UnsupportedKeyError } from "../../../lib/signing/errors.ts";
import { isKmsKeyUri } from "../../../lib/signing/key-uri.ts";
import { parseKeyFile } from "../../node/key-files.ts";
import { readCertificates, TrustFileError } from "../../node/trust-files.ts";
import {
  COMMON_HELP,
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  InputError,
  parseCommandArgs,
  UsageError,
} from "../command.ts";
import type { CliIo } from "../io.ts";
import { openKeyOption, readOptionFile } from "../option-files.ts";
import { sourceReference, TargetOpener } from "../targets.ts";
import { TRUST_HELP, withTrustOptions } from "../trust-options.ts";
import { FORMAT_HELP, formatsOption } from "./sign.ts";

export const verifyCommand: Command = {
  name: "verify",
  usage: `Usage: countersign verify <ref> --key <pem|awskms://…> [--format F]… [--trust-store <file|dir>] [--json]

Finds the signatures attached to <ref> (referrers and the cosign .sig tag) and verifies them: cosign
signatures and Sigstore bundles with the public key, Notary signatures against the trust store's
certificates. Exits 0 only when every requested format has a signature that verifies.
<ref> may be an OCI layout: oci-layout:<dir>[:<tag>|@<digest>].

Options:
  --key KEY          public key PEM, private key file, or awskms://… (its public key is fetched)
  ${FORMAT_HELP}
  --trust-store P    PEM certificates trusted for Notary signatures: a file, or a directory of
                     *.pem, *.crt and *.cer files (files without a certificate are passed over)
${TRUST_HELP}
  --json             print the full report as JSON
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = {
      key: { type: "string" },
      format: { type: "string", multiple: true },
      "trust-store": { type: "string" },
      "tsa-trust-store": { type: "string" },
      "trust-policy": { type: "string" },
      "trust-store-root": { type: "string" },
      "trusted-root": { type: "string" },
      "use-signed-timestamps": { type: "boolean" },
      json: { type: "boolean" },
    } as const;
    const parsed = parseCommandArgs(this, args, io, options, ["ref"]);
    if (!parsed) return EXIT_OK;
    const { values } = parsed;
    const formats = formatsOption(values.format);
    const verifiedWith = (material: keyof VerificationMaterial) =>
      formats.filter((format) => signatureFormat(format).verifiedWith === material).join(" and ");
    const keyed = verifiedWith("publicKeys");
    if (keyed !== "" && values.key === undefined) throw new UsageError(`--key is required for ${keyed}`);
    const anchored = verifiedWith("trustStore");
    if (anchored !== "" && values["trust-store"] === undefined && values["trust-policy"] === undefined) {
      throw new UsageError(
        `--trust-store is required for ${anchored} (the signing certificate, or a directory holding it)`,
      );
    }
    const publicKeys = values.key === undefined ? [] : [await publicKeyOf(values.key)];
    const trustStore = values["trust-store"] === undefined ? [] : await readTrustStore(values["trust-store"]);
    const material = await withTrustOptions({ publicKeys, trustStore }, values);
    return new TargetOpener({ plainHttp: values["plain-http"] === true, io }).use(async (opener) => {
      const opened = await opener.open(parsed.positionals[0]!);
      const subject = await opened.target.resolve(await sourceReference(opened));
      // notation matches registryScopes against <registry>/<repository>; a layout has only the wildcard.
      const scope = opened.kind === "registry" ? (opened.target as Repository).name : undefined;
      const reports = await verifySubject({
        target: opened.target,
        subject,
        formats,
        material,
        ...(scope !== undefined && { scope }),
      });
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ subject, formats: reports }, null, 2)}\n`);
      } else {
        io.stdout.write(`${opened.target.name}@${subject.digest}\n`);
        for (const report of reports) {
          const valid = report.signatures.find((s) => s.ok);
          const detail =
            valid?.detail ??
            (report.signatures.length === 0
              ? "no signature attached"
              : report.signatures.map((s) => `${s.digest.slice(0, 19)}…: ${s.detail}`).join("; "));
          io.stdout.write(`${report.verified ? "✓" : "✗"} ${report.format}\t${detail}\n`);
        }
      }
      return reports.every((r) => r.verified) ? EXIT_OK : EXIT_FAILURE;
    });
  },
};

async function publicKeyOf(key: string): Promise<PublicKeyInput> {
  if (isKmsKeyUri(key)) return (await (await openKeyOption(key)).publicKey()).spki;
  const text = await readOptionFile("--key", key);
  if (text.includes("-----BEGIN PUBLIC KEY-----")) return text;
  // A private key file will do too (its public half), which is what sign was given.
  try {
    return (await (await parseKeyFile(text, key)).publicKey()).spki;
  } catch (error) {
    if (!(error instanceof KeyFormatError || error instanceof UnsupportedKeyError)) throw error;
    throw new InputError(
      `--key ${key}: no public key found (expected a PEM public key, a private key file, or awskms://…)`,
      { cause: error },
    );
  }
}

/** The Notary trust store: a PEM file, or a folder of them (see readCertificates). */
async function readTrustStore(path: string): Promise<Uint8Array[]> {
  try {
    return await readCertificates(path);
  } catch (error) {
    if (error instanceof TrustFileError)
      throw new InputError(`--trust-store ${error.message}`, { cause: error });
    throw error;
  }
}
