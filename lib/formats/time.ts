// RFC 3339 (§5.6) in UTC without fractional seconds: the form the Notary spec asks for
// `io.cncf.notary.signingTime`/`expiry`, and what `org.opencontainers.image.created` conventionally holds.
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
