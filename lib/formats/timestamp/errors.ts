// Why a timestamp token is not trusted: raised by the token and chain checks, turned into a verdict
// (reason `timestamp`) by the formats, or into a TimestampAuthorityError when signing.
export class TimestampVerificationError extends Error {
  override readonly name = "TimestampVerificationError";
}
