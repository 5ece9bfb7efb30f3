// DynamoDB's error shapes on the JSON 1.0 protocol: HTTP status + `{"__type": "<namespace>#<Code>",
// "message": …}` (TransactionCanceledException says `Message` and adds `CancellationReasons`). The SDK
// takes the code from after the `#`. Namespaces as the service sends them: coral's for request-level
// faults, the API version's for DynamoDB's own exceptions.

const DYNAMODB = "com.amazonaws.dynamodb.v20120810";
const CORAL_SERVICE = "com.amazon.coral.service";

export class DynamoDbServiceError extends Error {
  /** The full `__type`, e.g. `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`. */
  readonly type: string;
  readonly status: number;
  /** Members sent beside `__type` and the message (`Item`, `CancellationReasons`). */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly messageMember: "message" | "Message";

  constructor(
    type: string,
    message: string,
    options: { status?: number; extra?: Record<string, unknown>; messageMember?: "message" | "Message" } = {},
  ) {
    super(message);
    this.type = type;
    this.name = type.slice(type.indexOf("#") + 1);
    this.status = options.status ?? 400;
    this.extra = options.extra ?? {};
    this.messageMember = options.messageMember ?? "message";
  }

  body(): Record<string, unknown> {
    return { __type: this.type, [this.messageMember]: this.message, ...this.extra };
  }
}

export const validation = (message: string) =>
  new DynamoDbServiceError("com.amazon.coral.validate#ValidationException", message);

export const serialization = (message: string) =>
  new DynamoDbServiceError(`${CORAL_SERVICE}#SerializationException`, message);

export const unknownOperation = () =>
  new DynamoDbServiceError(`${CORAL_SERVICE}#UnknownOperationException`, "");

export const missingAuthentication = () =>
  new DynamoDbServiceError(
    `${CORAL_SERVICE}#MissingAuthenticationTokenException`,
    "Request is missing Authentication Token",
  );

export const resourceNotFound = (message = "Requested resource not found") =>
  new DynamoDbServiceError(`${DYNAMODB}#ResourceNotFoundException`, message);

export const resourceInUse = (message: string) =>
  new DynamoDbServiceError(`${DYNAMODB}#ResourceInUseException`, message);

export const conditionalCheckFailed = (item?: unknown) =>
  new DynamoDbServiceError(`${DYNAMODB}#ConditionalCheckFailedException`, "The conditional request failed", {
    extra: item === undefined ? {} : { Item: item },
  });

export interface CancellationReason {
  readonly Code: string;
  readonly Message?: string;
  readonly Item?: unknown;
}

export const transactionCanceled = (reasons: readonly CancellationReason[]) =>
  new DynamoDbServiceError(
    `${DYNAMODB}#TransactionCanceledException`,
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    { extra: { CancellationReasons: reasons }, messageMember: "Message" },
  );

/** Faults a test can inject (each retryable by the SDK except as noted in the API reference). */
export const injectable = {
  ProvisionedThroughputExceededException: () =>
    new DynamoDbServiceError(
      `${DYNAMODB}#ProvisionedThroughputExceededException`,
      "The level of configured provisioned throughput for the table was exceeded.",
    ),
  ThrottlingException: () =>
    new DynamoDbServiceError(
      `${CORAL_SERVICE}#ThrottlingException`,
      "Rate of requests exceeds the allowed throughput.",
    ),
  InternalServerError: () =>
    new DynamoDbServiceError(`${DYNAMODB}#InternalServerError`, "Internal server error", { status: 500 }),
} as const;

export type InjectableFault = keyof typeof injectable;
