// Builds WebhookDelivery values for tests: from the webhook fixtures (copied from the shared fixtures,
// see test/fixtures/webhooks/README.md) or from any body.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { WebhookDelivery } from "../../../lib/webhooks/source.ts";

const fixtures = new URL("../../fixtures/webhooks/", import.meta.url);
const encoder = new TextEncoder();

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(name, fixtures))));
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(new TextDecoder().decode(fixtureBytes(name)));
}

export interface DeliveryOptions {
  readonly body: Uint8Array | string | object;
  readonly headers?: HeadersInit;
  readonly url?: string;
  readonly receivedAt?: Date;
}

export function webhookDelivery(options: DeliveryOptions): WebhookDelivery {
  const body =
    options.body instanceof Uint8Array
      ? options.body
      : encoder.encode(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
  return {
    body,
    headers: new Headers(options.headers ?? { "content-type": "application/json" }),
    url: new URL(options.url ?? "http://127.0.0.1:8080/webhooks/test"),
    receivedAt: options.receivedAt ?? new Date(),
  };
}

export function fixtureDelivery(name: string, options: Omit<DeliveryOptions, "body"> = {}): WebhookDelivery {
  return webhookDelivery({ ...options, body: fixtureBytes(name) });
}

/** Dotted paths into a JSON value (`events.0.target.tag`) and what to put there; `undefined` deletes. */
export type JsonPatch = Readonly<Record<string, unknown>>;

function isContainer(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A deep copy of `value` with `patch` applied. Hostile variants of fixtures are built this way. */
export function patchJson(value: unknown, patch: JsonPatch): object {
  const copy = structuredClone(value);
  if (!isContainer(copy)) throw new Error("can only patch an object or array");
  for (const [path, replacement] of Object.entries(patch)) {
    const keys = path.split(".");
    const last = keys.pop()!;
    let node: unknown = copy;
    for (const key of keys) {
      if (!isContainer(node)) throw new Error(`no object at ${path}`);
      node = node[key];
    }
    if (!isContainer(node)) throw new Error(`no object at ${path}`);
    if (replacement === undefined) delete node[last];
    else node[last] = replacement;
  }
  return copy;
}

export function patchedFixture(name: string, patch: JsonPatch): object {
  return patchJson(fixtureJson(name), patch);
}
