// The signature formats Countersign writes and verifies (DESIGN.md "Signature formats"), one module
// each: adding a format is its folder and one line in `signatureFormats`. Configuration, jobs, stored
// outcomes, the REST API and the CLI all take their format names from this list.

import type { Descriptor, Manifest } from "../oci/descriptor.ts";
import { bundle } from "./bundle/format.ts";
import { cosign } from "./cosign/format.ts";
import type { SignatureFormat } from "./format.ts";
import { notary } from "./notary/format.ts";

/** In this order by default: configuration, CLI and reports list formats as they stand here. */
export const signatureFormats = [notary, cosign, bundle] as const;

export type FormatName = (typeof signatureFormats)[number]["name"];

export const FormatNames = signatureFormats.map((format) => format.name) as unknown as readonly [
  FormatName,
  ...FormatName[],
];

export function isFormatName(value: unknown): value is FormatName {
  return typeof value === "string" && (FormatNames as readonly string[]).includes(value);
}

export function signatureFormat(name: FormatName): SignatureFormat<FormatName> {
  return signatureFormats.find((format) => format.name === name)!;
}

/** Which of our formats `manifest` (or a referrers-list descriptor) is a signature of, if any. */
export function formatOf(manifest: Manifest | Descriptor): FormatName | undefined {
  return signatureFormats.find((format) => format.recognize(manifest))?.name;
}
