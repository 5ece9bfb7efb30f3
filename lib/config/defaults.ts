// What an empty (or missing) configuration file means: try Countersign against a registry on this
// machine with nothing to set up. Every default here is restated in the JSON Schema's descriptions.
import { FormatNames } from "../formats/index.ts";

const LOOPBACK_REGISTRIES = ["127.0.0.1:*", "localhost:*", "[::1]:*"] as const;

/** Defaults of the sections that are lists, in configuration-file form (parsed like user input). */
export const EMBEDDED_DEFAULTS = {
  registries: LOOPBACK_REGISTRIES.map((host) => ({ host })),
  webhooks: [
    {
      name: "distribution",
      kind: "distribution" as const,
      settings: { auth: "none" as const },
      registries: [...LOOPBACK_REGISTRIES],
    },
  ],
};

export const EMBEDDED_DEFAULTS_SUMMARY =
  "An empty or missing file is valid and means: " +
  `registries ${LOOPBACK_REGISTRIES.join(", ")} (plain HTTP, every repository); ` +
  'one webhook { name: "distribution", kind: "distribution", settings: { auth: "none" } } accepting ' +
  "events for those loopback registries only (POST /webhooks/distribution); " +
  `signer: a P-256 key generated on first start at <dataDir>/signing-key.pem; formats: ${FormatNames.join(", ")}; ` +
  "policy: every repository and tag, index children included; api: no tokens (on-demand signing off); " +
  'store: SQLite at <dataDir>/countersign.db; dataDir ".countersign"; server 127.0.0.1:8080; ' +
  "queue: concurrency 4, 5 attempts of at most 90 s each, backoff 1 s doubling to 60 s, 10 s drain on shutdown; " +
  "at most 64 children signed per index.";
