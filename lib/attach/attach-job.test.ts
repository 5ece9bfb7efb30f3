import { describe, expect, it } from "vitest";
import { parseAttachJob } from "./attach-job.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const job = {
  jobId: "0b6c",
  request: { registry: "127.0.0.1:5000", repository: "team/app", reference: "v1", digest: DIGEST },
  formats: ["notary", "bundle"],
  recursive: true,
};

describe("parseAttachJob", () => {
  it("takes what intake enqueues, by tag or by digest", () => {
    expect(parseAttachJob(job)).toEqual(job);
    const byDigest = { jobId: "j", request: { ...job.request, reference: DIGEST } };
    expect(parseAttachJob(byDigest)).toEqual(byDigest);
  });

  it.each([
    ["a repository with traversal", { request: { ...job.request, repository: "team/../admin" } }],
    ["a host with a path", { request: { ...job.request, registry: "evil.com/127.0.0.1:5000" } }],
    ["a reference that is neither tag nor digest", { request: { ...job.request, reference: "v1/../x" } }],
    ["a sha512 digest", { request: { ...job.request, digest: `sha512:${"a".repeat(128)}` } }],
    ["an unknown format", { formats: ["pgp"] }],
    ["no job id", { jobId: "" }],
  ])("refuses %s", (_, overrides) => {
    expect(parseAttachJob({ ...job, ...overrides })).toBeUndefined();
  });

  it("refuses what is not an object", () => {
    expect(parseAttachJob("job")).toBeUndefined();
    expect(parseAttachJob(null)).toBeUndefined();
  });
});
