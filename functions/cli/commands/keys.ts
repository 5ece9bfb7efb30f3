// `countersign keys generate|public|cert`: make a local key, print a key's public half, and print a
// self-signed Notary certificate for a key (a KMS key signs its own certificate).
import { parseSignatureAlgorithm } from "../../../lib/signing/algorithm.ts";
import { certificatePem, createNotaryCertificate } from "../../../lib/signing/certificate.ts";
import { LocalSigner } from "../../../lib/signing/local.ts";
import type { SignatureAlgorithm, Signer } from "../../../lib/signing/signer.ts";
import { writeKeyFile } from "../../node/key-files.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs, UsageError } from "../command.ts";
import type { CliIo } from "../io.ts";
import { openKeyOption } from "../option-files.ts";

const KEY_HELP = `<key> is a private key file (PEM or JWK) or an AWS KMS key URI,
awskms://[endpoint]/<key id | alias/name | key ARN | alias ARN>; KMS region and credentials come from
the AWS SDK's usual configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_KMS, ...).`;

const ALGORITHM_HELP = "ES256 (default), ES384, ES512, PS256, PS384, PS512";

export const keysGenerate: Command = {
  name: "keys generate",
  usage: `Usage: countersign keys generate [--algorithm ALG] [--out FILE] [--jwk]

Generates a private key. Without --out it is printed (keep it secret); with --out it is written to
FILE (mode 0600, never overwriting) and the public key PEM is printed instead.

Options:
  --algorithm ALG   ${ALGORITHM_HELP}; RSA keys get 2048/3072/4096 bits for PS256/384/512
  --out FILE        write the private key here
  --jwk             JWK instead of PKCS#8 PEM
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = {
      algorithm: { type: "string" },
      out: { type: "string" },
      jwk: { type: "boolean" },
    } as const;
    const parsed = parseCommandArgs(this, args, io, options, []);
    if (!parsed) return EXIT_OK;
    const signer = await LocalSigner.generate(algorithmOption(parsed.values.algorithm) ?? "ES256");
    const format = parsed.values.jwk ? "jwk" : "pem";
    const out = parsed.values.out;
    if (out === undefined) {
      io.stdout.write(
        format === "pem" ? await signer.exportPkcs8Pem() : `${JSON.stringify(await signer.exportJwk())}\n`,
      );
      return EXIT_OK;
    }
    await writeKeyFile(out, signer, format);
    io.stdout.write((await signer.publicKey()).pem);
    io.stderr.write(`wrote ${signer.algorithm} private key to ${out} (key id ${signer.keyId})\n`);
    return EXIT_OK;
  },
};

export const keysPublic: Command = {
  name: "keys public",
  usage: `Usage: countersign keys public --key <key> [--jwk] [--algorithm ALG]

Prints the public key as PEM (what cosign verify --key takes), or as a JWK whose kid is the RFC 7638
thumbprint.

${KEY_HELP}

Options:
  --key KEY         the key (required)
  --jwk             print the JWK instead
  --algorithm ALG   another PSS hash for an RSA key (PS256, PS384, PS512)
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = {
      key: { type: "string" },
      jwk: { type: "boolean" },
      algorithm: { type: "string" },
    } as const;
    const parsed = parseCommandArgs(this, args, io, options, []);
    if (!parsed) return EXIT_OK;
    const signer = await openKey(parsed.values.key, parsed.values.algorithm);
    const { pem, jwk } = await signer.publicKey();
    io.stdout.write(parsed.values.jwk ? `${JSON.stringify(jwk)}\n` : pem);
    return EXIT_OK;
  },
};

export const keysCert: Command = {
  name: "keys cert",
  usage: `Usage: countersign keys cert --key <key> [--subject DN] [--days N] [--algorithm ALG]

Prints a self-signed X.509 certificate for the key, signed by that key (a KMS key signs it in KMS),
that notation accepts as a signing leaf and as its own trust anchor: keyUsage digitalSignature
(critical), extKeyUsage codeSigning, basicConstraints CA:FALSE. Add it to a notation trust store
(notation cert add --type ca --store <name> cert.pem) and give it to Countersign as the chain.
Each run makes a new certificate: keep the one you distribute.

${KEY_HELP}

Options:
  --key KEY         the key (required)
  --subject DN      RFC 4514 subject (default "CN=Countersign, O=Countersign"); notation trust
                    policies match on it, e.g. "CN=signer, O=Example, ST=WA, C=US"
  --days N          validity in days (default 365)
  --algorithm ALG   another PSS hash for an RSA key (PS256, PS384, PS512)
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = {
      key: { type: "string" },
      subject: { type: "string" },
      days: { type: "string" },
      algorithm: { type: "string" },
    } as const;
    const parsed = parseCommandArgs(this, args, io, options, []);
    if (!parsed) return EXIT_OK;
    const days = parsed.values.days === undefined ? 365 : Number(parsed.values.days);
    if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days must be a positive whole number`);
    const signer = await openKey(parsed.values.key, parsed.values.algorithm);
    const der = await createNotaryCertificate(signer, {
      subject: parsed.values.subject ?? "CN=Countersign, O=Countersign",
      validityDays: days,
    });
    io.stdout.write(certificatePem(der));
    return EXIT_OK;
  },
};

function algorithmOption(value: string | undefined): SignatureAlgorithm | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSignatureAlgorithm(value);
  } catch (error) {
    throw new UsageError(`--algorithm: ${(error as Error).message}`);
  }
}

async function openKey(key: string | undefined, algorithm: string | undefined): Promise<Signer> {
  if (key === undefined) throw new UsageError("--key is required");
  const explicit = algorithmOption(algorithm);
  return openKeyOption(key, explicit ? { kms: { algorithm: explicit }, local: { algorithm: explicit } } : {});
}
