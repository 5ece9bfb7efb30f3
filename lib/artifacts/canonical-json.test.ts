import { describe, expect, it } from "vitest";
import { digestOf } from "../oci/digest.ts";
import { EmptyJson } from "../oci/media-types.ts";
import { CanonicalJsonError, canonicalJson, descriptorOf } from "./canonical-json.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("canonicalJson", () => {
  it("keeps keys in emitted order, with no whitespace", () => {
    expect(text(canonicalJson({ b: 1, a: { d: "x", c: true } }))).toBe('{"b":1,"a":{"d":"x","c":true}}');
  });

  it("drops null and undefined members", () => {
    expect(text(canonicalJson({ a: null, b: undefined, c: "kept" }))).toBe('{"c":"kept"}');
  });

  it("drops empty optional image-spec fields but keeps required empty arrays", () => {
    const index = { schemaVersion: 2, manifests: [], annotations: {} };
    expect(text(canonicalJson(index))).toBe('{"schemaVersion":2,"manifests":[]}');
    expect(text(canonicalJson({ mediaType: "a/b", urls: [] }))).toBe('{"mediaType":"a/b"}');
  });

  it("encodes non-ASCII as UTF-8 and escapes lone surrogates", () => {
    const bytes = canonicalJson({ k: "é\u{1F600}" });
    expect(Array.from(bytes.slice(6, 8))).toEqual([0xc3, 0xa9]);
    expect(text(canonicalJson({ k: "\ud800" }))).toBe('{"k":"\\ud800"}');
  });

  it("refuses holes in arrays, non-integers and non-plain objects", () => {
    expect(() => canonicalJson({ a: [1, null] })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ size: 1.5 })).toThrow(/not a safe integer/);
    expect(() => canonicalJson({ size: 2 ** 53 })).toThrow(/not a safe integer/);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/plain objects/);
    expect(() => canonicalJson(undefined)).toThrow(CanonicalJsonError);
  });

  it("gives identical bytes for equal input", () => {
    const make = () => ({ schemaVersion: 2, layers: [{ mediaType: "a/b", size: 3 }] });
    expect(canonicalJson(make())).toEqual(canonicalJson(make()));
  });
});

describe("digestOf / descriptorOf", () => {
  it("hashes the empty JSON config to the image-spec's empty descriptor digest", async () => {
    expect(await digestOf(EmptyJson.bytes)).toBe(EmptyJson.digest);
  });

  it("orders fields like image-spec's Go Descriptor and omits empty extras", async () => {
    const bytes = new TextEncoder().encode("abc");
    const plain = await descriptorOf("text/plain", bytes, { annotations: {} });
    expect(Object.keys(plain)).toEqual(["mediaType", "digest", "size"]);
    expect(plain.digest).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const full = await descriptorOf("text/plain", bytes, { artifactType: "a/b", annotations: { k: "v" } });
    expect(Object.keys(full)).toEqual(["mediaType", "digest", "size", "annotations", "artifactType"]);
  });
});
