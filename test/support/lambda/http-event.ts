// Function URL requests as Lambda delivers them: payload format 2.0 (`APIGatewayProxyEventV2`), the
// shape of the Lambda Developer Guide's "Request payload" example for function URLs. Header names
// arrive lowercased; a body whose content type is not text arrives base64-encoded with
// `isBase64Encoded: true` (the webhook media types `application/vnd.docker.distribution.events.v1+json`
// included), so that is what `functionUrlEvent` sends for every body.
import type { APIGatewayProxyEventV2 } from "aws-lambda";

export interface FunctionUrlRequest {
  readonly method?: string;
  /** Path with an optional query: `/v1/verify?ref=…`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly sourceIp?: string;
}

const URL_ID = "abcdefghijklmnopqrstuvwxyz012345";

export function functionUrlEvent(request: FunctionUrlRequest): APIGatewayProxyEventV2 {
  const url = new URL(request.path, "https://placeholder.invalid");
  const method = request.method ?? "GET";
  const headers: Record<string, string> = {
    host: `${URL_ID}.lambda-url.us-east-1.on.aws`,
    "x-forwarded-proto": "https",
    "x-forwarded-port": "443",
    "x-forwarded-for": request.sourceIp ?? "203.0.113.7",
    "user-agent": "countersign-test",
    "x-amzn-trace-id": "Root=1-65f1a2b3-0123456789abcdef01234567",
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const body = request.body === undefined ? undefined : Buffer.from(request.body).toString("base64");
  const now = new Date();
  const query = Object.fromEntries(url.searchParams);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: "anonymous",
      apiId: URL_ID,
      domainName: `${URL_ID}.lambda-url.us-east-1.on.aws`,
      domainPrefix: URL_ID,
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: request.sourceIp ?? "203.0.113.7",
        userAgent: "countersign-test",
      },
      requestId: crypto.randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? { isBase64Encoded: false } : { body, isBase64Encoded: true }),
  };
}

/** The response body as text (hono/aws-lambda base64-encodes binary content types). */
export function responseText(result: { body?: string; isBase64Encoded?: boolean }): string {
  const body = result.body ?? "";
  return result.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}
