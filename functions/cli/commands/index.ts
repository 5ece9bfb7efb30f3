// Every CLI command: its name and summary, and the module that runs it, loaded on first use (the
// command list loads none: `countersign copy` starts without the signing, KMS and service modules).
// Adding one: a file under commands/ exporting a Command, and one line here.
import type { Command, CommandEntry } from "../command.ts";

function lazy(name: string, summary: string, load: () => Promise<Command>): CommandEntry {
  return { name, summary, run: async (args, io) => (await load()).run(args, io) };
}

export const commands: readonly CommandEntry[] = [
  lazy(
    "manifest get",
    "print a manifest's raw bytes",
    async () => (await import("./manifest-get.ts")).manifestGet,
  ),
  lazy(
    "discover",
    "list the referrers of an image (signatures, SBOMs, attestations)",
    async () => (await import("./discover.ts")).discover,
  ),
  lazy(
    "copy",
    "copy an image with its referrers between registries and OCI layouts",
    async () => (await import("./copy.ts")).copyCommand,
  ),
  lazy(
    "config schema",
    "print the JSON Schema of the configuration file",
    async () => (await import("./config.ts")).configSchemaCommand,
  ),
  lazy(
    "config check",
    "validate a configuration file and resolve its secrets",
    async () => (await import("./config.ts")).configCheckCommand,
  ),
  lazy(
    "keys generate",
    "generate a local signing key (PKCS#8 PEM or JWK)",
    async () => (await import("./keys.ts")).keysGenerate,
  ),
  lazy(
    "keys public",
    "print a key's public key (PEM, or JWK with --jwk)",
    async () => (await import("./keys.ts")).keysPublic,
  ),
  lazy(
    "keys cert",
    "print a self-signed Notary certificate (PEM) for a key",
    async () => (await import("./keys.ts")).keysCert,
  ),
  lazy(
    "sign",
    "sign an image and attach the signatures to its registry",
    async () => (await import("./sign.ts")).signCommand,
  ),
  lazy(
    "verify",
    "check which attached signatures verify (registry or OCI layout)",
    async () => (await import("./verify.ts")).verifyCommand,
  ),
  lazy(
    "serve",
    "run the service: webhooks in, signatures attached, REST API (one Node process)",
    async () => (await import("./serve.ts")).serveCommand,
  ),
];
