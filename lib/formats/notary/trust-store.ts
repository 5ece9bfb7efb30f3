// A Notary trust store of type `ca`/`signingAuthority` reduced to what verification needs: the trusted
// certificates. A signature is trusted when any certificate of its validated chain is byte-for-byte
// one of them (notation-core-go signature.VerifyAuthenticity).
import { bytesEqual, fromUtf8 } from "../../encoding.ts";
import { KeyFormatError } from "../../signing/errors.ts";
import { pemBlocks } from "../../signing/pem.ts";
import { CertificateError, type NotaryCertificate, parseCertificate } from "./certificate.ts";

/** DER bytes, or PEM (text or bytes) holding one or more CERTIFICATE blocks. */
export type TrustAnchorInput = Uint8Array | string;

export class TrustStoreError extends Error {
  override readonly name = "TrustStoreError";
}

export interface NotaryTrustStore {
  readonly anchors: readonly NotaryCertificate[];
}

/**
 * The certificates of each input given as bytes, parsed once: verification material is built once
 * (configuration, CLI flags) and judges every signature after, and a trust policy's resolution hands
 * the same inputs on in new lists.
 */
const parsedInputs = new WeakMap<Uint8Array, readonly NotaryCertificate[]>();

export function createTrustStore(inputs: readonly TrustAnchorInput[]): NotaryTrustStore {
  const anchors: NotaryCertificate[] = [];
  for (const [index, input] of inputs.entries()) {
    const known = typeof input === "string" ? undefined : parsedInputs.get(input);
    const parsed = known ?? parseAnchors(input, index);
    if (known === undefined && typeof input !== "string") parsedInputs.set(input, parsed);
    anchors.push(...parsed);
  }
  return { anchors };
}

function parseAnchors(input: TrustAnchorInput, index: number): NotaryCertificate[] {
  return anchorDers(input, index).map((der) => {
    try {
      return parseCertificate(der);
    } catch (error) {
      if (error instanceof CertificateError) {
        throw new TrustStoreError(`trust anchor #${index} is not a certificate`, { cause: error });
      }
      throw error;
    }
  });
}

function anchorDers(input: TrustAnchorInput, index: number): Uint8Array[] {
  const text = typeof input === "string" ? input : input[0] === 0x2d ? fromUtf8(input) : undefined;
  if (text === undefined) return [input as Uint8Array];
  let blocks: Uint8Array[];
  try {
    blocks = pemBlocks(text, "CERTIFICATE");
  } catch (error) {
    if (error instanceof KeyFormatError) {
      throw new TrustStoreError(`trust anchor #${index} is not valid PEM`, { cause: error });
    }
    throw error;
  }
  if (blocks.length === 0) throw new TrustStoreError(`trust anchor #${index} has no PEM CERTIFICATE block`);
  return blocks;
}

/** The first certificate of the chain that the store trusts. */
export function findTrustAnchor(
  store: NotaryTrustStore,
  chain: readonly NotaryCertificate[],
): NotaryCertificate | undefined {
  return chain.find((certificate) => store.anchors.some((anchor) => bytesEqual(anchor.der, certificate.der)));
}
