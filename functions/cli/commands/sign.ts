// `countersign sign <ref>`: sign an image (and with --recursive every manifest of an index) and attach
// the signatures to its registry, the same way the service does, without a service.

import { resolve } from "node:path";
import {
  profileFor,
  profileNamed,
  type RegistryProfile,
  UnknownRegistryProfileError,
} from "../../../lib/artifacts/profiles.ts";
import { findOwnSignature } from "../../../lib/attach/own-signature.ts";
import { signSubject } from "../../../lib/attach/sign-subject.ts";
import { type FormatName, FormatNames, isFormatName, signatureFormats } from "../../../lib/formats/index.ts";
import type { Descriptor } from "../../../lib/oci/descriptor.ts";
import { isImageIndex } from "../../../lib/oci/manifest-schema.ts";
import type { Repository } from "../../../lib/oci/remote/repository.ts";
import { InProcessSubjectLock } from "../../../lib/oci/subject-lock.ts";
import { SigningUserAgent } from "../../../lib/oci/user-agent.ts";
import { notaryCertificateChain } from "../../../lib/signing/certificate-store.ts";
import { dataDirCertificateStore } from "../../node/key-files.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs, UsageError } from "../command.ts";
import type { CliIo } from "../io.ts";
import { openKeyOption, readOptionFile } from "../option-files.ts";
import { sourceReference, TargetOpener } from "../targets.ts";
import { TIMESTAMP_HELP, timestamperOption } from "../timestamp-options.ts";

export const FORMAT_HELP = `--format F        ${signatureFormats.map((format) => `${format.name} (${format.summary})`).join(",\n                    ")};
                    repeatable; default all of them`;

export function formatsOption(values: readonly string[] | undefined): FormatName[] {
  if (values === undefined || values.length === 0) return [...FormatNames];
  for (const value of values) {
    if (!isFormatName(value))
      throw new UsageError(`--format ${value}: unknown format (expected ${FormatNames.join(", ")})`);
  }
  return [...new Set(values as FormatName[])];
}

export const signCommand: Command = {
  name: "sign",
  usage: `Usage: countersign sign <ref> --key <file|awskms://…> [--format F]… [--cert <pem chain>] [--recursive]

Signs the manifest <ref> names (by digest: a tag is resolved once) and pushes the signatures beside it:
Notary and Sigstore-bundle signatures as OCI 1.1 referrers (through the sha256-<hex> fallback index on
registries without the referrers API), cosign signatures as a layer of the sha256-<hex>.sig tag.
A format already signed by this key is left as it is (use --force to add another signature).

Options:
  --key KEY         private key file (PEM or JWK) or awskms://[endpoint]/<key id | alias/name | ARN>
  ${FORMAT_HELP}
  --cert FILE       PEM certificate chain for Notary (leaf first); default a self-signed certificate
                    for the key, kept in <data-dir>/signing-cert.pem so verifiers can trust it
  --recursive       for an image index, also sign every manifest it lists
  --profile NAME    registry profile (distribution, ecr, ghcr, ...); default chosen from the host
  --data-dir DIR    where the default certificate is kept (default .countersign)
  --force           sign even when a signature by this key is already attached
${TIMESTAMP_HELP}
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = {
      key: { type: "string" },
      format: { type: "string", multiple: true },
      cert: { type: "string" },
      recursive: { type: "boolean" },
      profile: { type: "string" },
      "data-dir": { type: "string" },
      force: { type: "boolean" },
      "timestamp-url": { type: "string" },
      "timestamp-root-cert": { type: "string" },
    } as const;
    const parsed = parseCommandArgs(this, args, io, options, ["ref"]);
    if (!parsed) return EXIT_OK;
    const { values } = parsed;
    const key = values.key;
    if (key === undefined) throw new UsageError("--key is required");
    const formats = formatsOption(values.format);
    const profile = values.profile === undefined ? undefined : profileOption(values.profile);
    const timestamper = await timestamperOption(values["timestamp-url"], values["timestamp-root-cert"]);
    return new TargetOpener({
      plainHttp: values["plain-http"] === true,
      io,
      userAgent: SigningUserAgent,
    }).use(async (opener) => {
      const opened = await opener.open(parsed.positionals[0]!);
      if (opened.kind !== "registry")
        throw new UsageError("sign writes to a registry; an OCI layout can be verified, not signed");
      const repository = opened.target as Repository;
      const signer = await openKeyOption(key);
      const certificateChain = await notaryCertificateChain({
        signer,
        store: dataDirCertificateStore(resolve(values["data-dir"] ?? ".countersign")),
        configured: values.cert === undefined ? undefined : await readOptionFile("--cert", values.cert),
      });
      const subjects = await subjectsOf(repository, await sourceReference(opened), values.recursive === true);
      const lock = new InProcessSubjectLock();
      const signed: string[] = [];
      for (const subject of subjects) {
        // Every format asks before any is written: the listing read for the first answers the others
        // too (a write of ours would make the next format read the listing again).
        const owned = new Set<string>();
        if (values.force !== true) {
          let listing: Promise<Descriptor[]> | undefined;
          const referrers = () => (listing ??= repository.referrers(subject));
          for (const format of formats) {
            if ((await findOwnSignature({ repository, subject, format, signer, referrers })) !== undefined)
              owned.add(format);
          }
        }
        for (const format of formats) {
          if (owned.has(format)) {
            io.stdout.write(`${format}\t${subject.digest}\talready signed by ${signer.keyId}\n`);
            continue;
          }
          const written = await signSubject({
            ...(timestamper && { timestamper }),
            repository,
            subject,
            format,
            signer,
            certificateChain,
            profile: (host) => profile ?? profileFor(host),
            lock,
            created: new Date(),
          });
          signed.push(`${format}\t${subject.digest}\tsigned: ${written.digest}\n`);
        }
      }
      // A signature is reported only once a read made after our last write lists it: other writers of
      // the same tag-schema index or `.sig` tag may have overwritten it meanwhile (merged again here).
      await repository.settle();
      for (const line of signed) io.stdout.write(line);
      return EXIT_OK;
    });
  },
};

async function subjectsOf(
  repository: Repository,
  reference: string,
  recursive: boolean,
): Promise<Descriptor[]> {
  const { descriptor, manifest } = await repository.fetchManifest(reference);
  if (!recursive || !isImageIndex(manifest)) return [descriptor];
  return [
    descriptor,
    ...manifest.manifests.map((d) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size })),
  ];
}

function profileOption(name: string): RegistryProfile {
  try {
    return profileNamed(name);
  } catch (error) {
    if (!(error instanceof UnknownRegistryProfileError)) throw error;
    throw new UsageError(`--profile ${name}: ${error.message}`, { cause: error });
  }
}
