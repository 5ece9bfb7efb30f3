import { describe, expect, it } from "vitest";
import { KmsKeyUriError } from "./errors.ts";
import { parseKmsKeyUri } from "./key-uri.ts";

const id = "1234abcd-12ab-34cd-56ef-1234567890ab";
const keyArn = `arn:aws:kms:us-east-2:111122223333:key/${id}`;

describe("parseKmsKeyUri (cosign's awskms:// grammar)", () => {
  it.each([
    [`awskms:///${id}`, { keyId: id, kind: "key-id" }],
    [`awskms:///${keyArn}`, { keyId: keyArn, kind: "key-arn", region: "us-east-2" }],
    ["awskms:///alias/x", { keyId: "alias/x", kind: "alias-name" }],
    ["awskms:///alias/team/signing_key-1", { keyId: "alias/team/signing_key-1", kind: "alias-name" }],
    [
      "awskms:///arn:aws:kms:eu-west-1:111122223333:alias/x",
      { keyId: "arn:aws:kms:eu-west-1:111122223333:alias/x", kind: "alias-arn", region: "eu-west-1" },
    ],
    [
      "awskms:///arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
      { kind: "key-arn", region: "us-gov-west-1" },
    ],
  ])("%s", (uri, expected) => {
    const parsed = parseKmsKeyUri(uri);
    expect(parsed).toMatchObject({ uri, ...expected });
    expect(parsed.endpoint).toBeUndefined();
  });

  it("takes an endpoint before the key: https, as cosign does", () => {
    expect(parseKmsKeyUri(`awskms://kms.internal.example:8443/${keyArn}`)).toMatchObject({
      endpoint: "https://kms.internal.example:8443",
      keyId: keyArn,
      region: "us-east-2",
    });
  });

  it("uses plain http for loopback endpoints (LocalStack, emulators)", () => {
    expect(
      parseKmsKeyUri(`awskms://localhost:4566/arn:aws:kms:us-east-1:000000000000:key/${id}`),
    ).toMatchObject({
      endpoint: "http://localhost:4566",
      kind: "key-arn",
      region: "us-east-1",
    });
    expect(parseKmsKeyUri("awskms://127.0.0.1:4566/alias/x").endpoint).toBe("http://127.0.0.1:4566");
    expect(parseKmsKeyUri("awskms://[::1]:4566/alias/x").endpoint).toBe("http://[::1]:4566");
  });

  it.each([
    ["another scheme", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"],
    ["no key", "awskms://localhost:4566"],
    ["an empty key", "awskms:///"],
    ["a key id that is not a UUID", "awskms:///not-a-key"],
    ["an alias without a name", "awskms:///alias/"],
    ["an alias with a space", "awskms:///alias/my key"],
    ["an ARN of another service", "awskms:///arn:aws:s3:us-east-1:111122223333:key/x"],
    ["an ARN with a short account", `awskms:///arn:aws:kms:us-east-1:1111:key/${id}`],
    ["an endpoint with credentials", "awskms://user:hunter2@localhost/alias/x"],
    ["an endpoint with credentials and a bad key", "awskms://user:hunter2@localhost/nope"],
  ])("rejects %s", (_reason, uri) => {
    expect(() => parseKmsKeyUri(uri)).toThrow(KmsKeyUriError);
    expect(() => parseKmsKeyUri(uri)).not.toThrow(/hunter2/);
  });
});
