// The transparency-log entry cosign keeps on a `.sig` layer (annotation `dev.sigstore.cosign/bundle`,
// cosign pkg/cosign/bundle `RekorBundle`), checked offline as `cosign verify --trusted-root` does
// (cosign `VerifyBundle`, sigstore-go tlog `VerifySET`): the hashedrekord body names this signature, this
// key and the payload's SHA-256, and the log's signed entry timestamp verifies with a key of the trusted
// root valid at the integrated time.
import { fromBase64, fromUtf8, toHex } from "../../encoding.ts";
import { sha256Hex } from "../../oci/digest.ts";
import { parseSpki, type SpkiKey } from "../public-key.ts";
import type { SigstoreTrustedRoot } from "../sigstore/trusted-root.ts";
import { reject } from "../verdict.ts";
import { verifiesAs } from "./verify.ts";

export const CosignBundleAnnotation = "dev.sigstore.cosign/bundle";

interface RekorBundle {
  readonly SignedEntryTimestamp: string;
  readonly Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

interface TransparencyLog {
  readonly logId: string;
  readonly key: SpkiKey;
  readonly start?: Date;
  readonly end?: Date;
}

/** Verifies the annotation against the trusted root; returns the log's integrated time. */
export async function verifyRekorBundle(options: {
  readonly annotation: string;
  readonly payload: Uint8Array;
  readonly signatureBase64: string;
  readonly key: SpkiKey;
  readonly trustedRoot: SigstoreTrustedRoot;
}): Promise<Date> {
  const bundle = parseBundle(options.annotation);
  const body = parseBody(bundle.Payload.body);
  // cosign compareSigs, comparePublicKey and bundleHash: the entry is for this very signature.
  if (body.spec?.signature?.content !== options.signatureBase64) {
    reject("transparency", "the log entry records another signature");
  }
  const keyPem = body.spec?.signature?.publicKey?.content;
  if (typeof keyPem !== "string" || !(await sameKey(keyPem, options.key))) {
    reject("transparency", "the log entry records another public key");
  }
  const hash = body.spec?.data?.hash;
  if (hash?.algorithm !== "sha256" || hash.value !== (await sha256Hex(options.payload))) {
    reject("transparency", "the log entry is for another payload");
  }
  const log = transparencyLogs(options.trustedRoot).find(
    (candidate) => candidate.logId === bundle.Payload.logID,
  );
  if (!log) reject("transparency", `no log of the trusted root has the ID ${bundle.Payload.logID}`);
  const integrated = new Date(bundle.Payload.integratedTime * 1000);
  if (!log.start) reject("transparency", "the trusted root gives the log no validFor start");
  if (integrated < log.start || (log.end && integrated > log.end)) {
    reject("transparency", `the log key was not valid at the integrated time ${integrated.toISOString()}`);
  }
  // RFC 8785 canonical JSON of the payload: keys sorted, no whitespace (all values here are plain).
  const { body: entryBody, integratedTime, logID, logIndex } = bundle.Payload;
  const canonical = JSON.stringify({ body: entryBody, integratedTime, logID, logIndex });
  if (!(await verifySet(log.key, canonical, bundle.SignedEntryTimestamp))) {
    reject("transparency", "the log's signed entry timestamp does not verify");
  }
  return integrated;
}

function parseBundle(annotation: string): RekorBundle {
  try {
    const bundle = JSON.parse(annotation) as RekorBundle;
    const payload = bundle.Payload;
    if (
      typeof bundle.SignedEntryTimestamp === "string" &&
      typeof payload?.body === "string" &&
      Number.isInteger(payload.integratedTime) &&
      Number.isInteger(payload.logIndex) &&
      typeof payload.logID === "string"
    ) {
      return bundle;
    }
  } catch {
    // reported below
  }
  return reject("transparency", `${CosignBundleAnnotation} is not a Rekor bundle`);
}

interface HashedRekord {
  readonly kind?: string;
  readonly spec?: {
    readonly data?: { readonly hash?: { readonly algorithm?: string; readonly value?: string } };
    readonly signature?: { readonly content?: string; readonly publicKey?: { readonly content?: string } };
  };
}

function parseBody(body: string): HashedRekord {
  try {
    const parsed = JSON.parse(fromUtf8(fromBase64(body))) as HashedRekord;
    if (parsed.kind === "hashedrekord") return parsed;
  } catch {
    // reported below
  }
  return reject("transparency", "the log entry is not a hashedrekord entry");
}

async function sameKey(pemBase64: string, key: SpkiKey): Promise<boolean> {
  try {
    const pem = fromUtf8(fromBase64(pemBase64));
    const der = fromBase64(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
    return toHex(parseSpki(der).spki) === toHex(key.spki);
  } catch {
    return false;
  }
}

/** Per trusted root (loaded once, judging every signature after): its logs, decoded once. */
const logsOfRoot = new WeakMap<SigstoreTrustedRoot, TransparencyLog[]>();

function transparencyLogs(root: SigstoreTrustedRoot): TransparencyLog[] {
  const known = logsOfRoot.get(root);
  if (known !== undefined) return known;
  const logs = decodeLogs(root);
  logsOfRoot.set(root, logs);
  return logs;
}

function decodeLogs(root: SigstoreTrustedRoot): TransparencyLog[] {
  const tlogs = (root.document.tlogs ?? []) as {
    publicKey?: { rawBytes?: string; validFor?: { start?: string; end?: string } };
    logId?: { keyId?: string };
  }[];
  const logs: TransparencyLog[] = [];
  for (const tlog of tlogs) {
    try {
      const key = parseSpki(fromBase64(tlog.publicKey?.rawBytes ?? ""));
      const start = tlog.publicKey?.validFor?.start;
      const end = tlog.publicKey?.validFor?.end;
      logs.push({
        logId: toHex(fromBase64(tlog.logId?.keyId ?? "")),
        key,
        ...(start && { start: new Date(start) }),
        ...(end && { end: new Date(end) }),
      });
    } catch {
      // a log whose key this verifier cannot read checks nothing
    }
  }
  return logs;
}

async function verifySet(key: SpkiKey, canonical: string, setBase64: string): Promise<boolean> {
  let signature: Uint8Array;
  try {
    signature = fromBase64(setBase64);
  } catch {
    return false;
  }
  // sigstore-go hashes with SHA-256 whatever the curve (`sha256.Sum256(canonicalized)`): ES256's hash.
  return key.type === "ec" && verifiesAs(key, "ES256", new TextEncoder().encode(canonical), signature);
}
