// The HTTP skeleton the AWS JSON-protocol emulators share (KMS, SQS, Secrets Manager, DynamoDB): `POST /`
// with `X-Amz-Target: <Service>.<Operation>` on a free loopback port, the body read whole, JSON answers with
// the protocol's content type and a request id. Each emulator keeps its own operations and error shapes.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { crc32 } from "node:zlib";
import { listenOnLoopback } from "./loopback-server.ts";

export interface AwsJsonServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Serves `handle` on 127.0.0.1; a handler that throws resets the connection, as a crashed service does. */
export async function startAwsJsonServer(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<AwsJsonServer> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : undefined);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body's JSON object (an empty body is `{}`), or `undefined` for the service's SerializationException. */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.length > 0 ? body.toString("utf8") : "{}");
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // undefined below
  }
  return undefined;
}

/**
 * The access key id and region of the request's SigV4 credential scope for `service`, or `undefined`
 * without one. Signatures are not verified, but the services refuse a request that is not signed.
 */
export function sigV4Scope(
  request: IncomingMessage,
  service: string,
): { readonly accessKeyId: string; readonly region: string } | undefined {
  const scope = new RegExp(`Credential=([^/,\\s]+)/\\d{8}/([^/]+)/${service}/aws4_request`).exec(
    request.headers.authorization ?? "",
  );
  return scope ? { accessKeyId: scope[1]!, region: scope[2]! } : undefined;
}

export interface AwsJsonAnswer {
  /** `1.0` (DynamoDB, SQS) or `1.1` (KMS, Secrets Manager): the `application/x-amz-json-<version>` type. */
  readonly protocol: "1.0" | "1.1";
  /** DynamoDB sends a CRC32 of the body (`x-amz-crc32`); some SDKs check it. */
  readonly crc32?: boolean;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: object,
  answer: AwsJsonAnswer,
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    "Content-Type": `application/x-amz-json-${answer.protocol}`,
    "Content-Length": bytes.length,
    "x-amzn-RequestId": randomUUID(),
    ...(answer.crc32 && { "x-amz-crc32": String(crc32(bytes)) }),
  });
  response.end(bytes);
}
