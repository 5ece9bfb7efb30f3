// AWS KMS error shapes as the JSON 1.1 protocol carries them: HTTP status + `{"__type", "message"}`.
// Names and statuses from the KMS API reference ("Errors" of each operation, "Common Errors").

export class KmsServiceError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

export const notFound = (message: string) => new KmsServiceError("NotFoundException", message);
export const validation = (message: string) => new KmsServiceError("ValidationException", message);
export const invalidKeyUsage = (message: string) => new KmsServiceError("InvalidKeyUsageException", message);
export const throttling = () => new KmsServiceError("ThrottlingException", "Rate exceeded");
export const internalFailure = () =>
  new KmsServiceError("KMSInternalException", "AWS KMS encountered an internal error", 500);
export const dependencyTimeout = () =>
  new KmsServiceError(
    "DependencyTimeoutException",
    "The system timed out while trying to fulfill the request",
    503,
  );
