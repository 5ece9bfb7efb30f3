import { describe, expect, it } from "vitest";
import { nameAttributes, parseDistinguishedName } from "./distinguished-name.ts";
import { CertificateError } from "./errors.ts";

describe("subject names", () => {
  it("reads RFC 4514 strings most-specific-first and returns DER order", () => {
    expect(parseDistinguishedName("CN=Countersign, O=Example\\, Inc., C=US")).toEqual([
      { type: "C", value: "US" },
      { type: "O", value: "Example, Inc." },
      { type: "CN", value: "Countersign" },
    ]);
  });

  it("puts the object form in DER order, C first and CN last", () => {
    expect(
      nameAttributes({ commonName: "signer", organization: "Example", country: "DE", state: "Berlin" }),
    ).toEqual([
      { type: "C", value: "DE" },
      { type: "ST", value: "Berlin" },
      { type: "O", value: "Example" },
      { type: "CN", value: "signer" },
    ]);
  });

  it.each([
    ["no CN", "O=Example"],
    ["an unknown attribute", "CN=x, EMAIL=a@b"],
    ["a missing =", "CN"],
    ["a bad country", "CN=x, C=USA"],
    ["an empty value", "CN="],
  ])("rejects %s", (_reason, text) => {
    expect(() => nameAttributes(text)).toThrow(CertificateError);
  });
});
