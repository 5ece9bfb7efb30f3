// Keys of the single-table design (infra/job-table.ts: partition key `pk`, sort key `sk`, both S;
// TTL attribute `expiresAt`). Item kinds differ by key prefix:
//   job            JOB#<id>                            JOB
//   job index      JOBS#<status>                       <createdAt>#<id>      (one per job, newest last)
//   signature      SIG#<registry>/<repository>@<digest> <format>#<keyId>     (a subject's are one Query)
//   subject lock   LOCK#<key>                          LOCK
//   delivery       DELIVERY#<source>#<id>              DELIVERY
// A variable part that a separator follows has `%` and that separator percent-encoded, so two
// different keys never print the same (a repository `a@b` cannot pose as repository `a`, digest `b@…`).
import type { JobStatus, SignatureKey, SubjectQuery } from "../store.ts";

export const KEY_ATTRIBUTES = { partition: "pk", sort: "sk" } as const;

/** Epoch seconds; DynamoDB TTL deletes the item some time (up to days) after, so reads check it too. */
export const TTL_ATTRIBUTE = "expiresAt";

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export function jobKey(id: string): ItemKey {
  return { pk: `JOB#${id}`, sk: "JOB" };
}

export function jobIndexKey(status: JobStatus, createdAt: string, id: string): ItemKey {
  // createdAt is `toISOString()` (fixed width), so byte order of the sort key is (createdAt, id) order.
  return { pk: jobIndexPartition(status), sk: `${createdAt}#${id}` };
}

export function jobIndexPartition(status: JobStatus): string {
  return `JOBS#${status}`;
}

export function signatureItemKey(key: SignatureKey): ItemKey {
  return { pk: subjectPartition(key), sk: `${escapePart(key.format, "#")}#${key.keyId}` };
}

export function subjectPartition(subject: SubjectQuery): string {
  return `SIG#${escapePart(subject.registry, "/")}/${escapePart(subject.repository, "@")}@${subject.digest}`;
}

export function lockKey(subjectKey: string): ItemKey {
  return { pk: `LOCK#${subjectKey}`, sk: "LOCK" };
}

export function deliveryKey(source: string, deliveryId: string): ItemKey {
  return { pk: `DELIVERY#${escapePart(source, "#")}#${deliveryId}`, sk: "DELIVERY" };
}

export function registryFactsKey(registry: string): ItemKey {
  return { pk: `REGISTRY#${registry}`, sk: "FACTS" };
}

function escapePart(value: string, separator: string): string {
  const hex = separator.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
  return value.replaceAll("%", "%25").replaceAll(separator, `%${hex}`);
}
