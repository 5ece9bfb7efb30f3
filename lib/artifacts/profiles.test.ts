import { describe, expect, it } from "vitest";
import {
  type ProfileName,
  profileFor,
  profileNamed,
  RegistryProfiles,
  UnknownRegistryProfileError,
  withoutSubject,
} from "./profiles.ts";

describe("registry profiles: one test per survey rule", () => {
  it("distribution 2.8 has no referrers API: fallback tag schema", () => {
    expect(RegistryProfiles.distribution.referrers).toBe("fallback");
  });

  it("ECR answered 405 to artifactType/subject: legacy-config shape, retry without subject", () => {
    expect(RegistryProfiles.ecr.manifestShape).toBe("legacy-config");
    expect(RegistryProfiles.ecr.acceptsArtifactType).toBe(false);
    expect(RegistryProfiles.ecr.onSubjectRefused).toBe("retry-without-subject");
  });

  it("Docker Hub once refused any manifest with subject: retry without subject", () => {
    expect(RegistryProfiles.dockerhub.onSubjectRefused).toBe("retry-without-subject");
  });

  it("no layers rejected by Quay, GCR, ECR, Artifactory (and accepted elsewhere)", () => {
    const rejecting = Object.values(RegistryProfiles).filter((p) => !p.acceptsNoLayers);
    expect(rejecting.map((p) => p.name).sort()).toEqual(["artifactory", "ecr", "gcr", "quay"]);
  });

  it("the scratch-layer form was accepted everywhere else", () => {
    const legacy = Object.values(RegistryProfiles).filter((p) => p.manifestShape !== "scratch-layer");
    expect(legacy.map((p) => p.name)).toEqual(["ecr"]);
    for (const profile of Object.values(RegistryProfiles)) {
      // A profile that cannot take artifactType must not ask for the shape that carries it.
      if (!profile.acceptsArtifactType) expect(profile.manifestShape).toBe("legacy-config");
    }
  });

  it("zot serves the referrers API; registries the survey leaves open are detected", () => {
    expect(RegistryProfiles.zot.referrers).toBe("api");
    for (const name of ["dockerhub", "ecr", "gcr", "quay", "harbor", "acr", "ghcr", "artifactory", "oci11"]) {
      expect(RegistryProfiles[name as ProfileName].referrers).toBe("detect");
    }
  });

  it("zero-byte blobs and trusting OCI-Subject alone are off for every profile", () => {
    for (const profile of Object.values(RegistryProfiles)) {
      expect(profile.zeroByteBlobs).toBe(false);
      expect(profile.trustsSubjectHeader).toBe(false);
    }
  });

  it("every profile is keyed by its own name", () => {
    for (const [key, profile] of Object.entries(RegistryProfiles)) expect(profile.name).toBe(key);
  });

  it("withoutSubject turns a refusal into fallback-only attachment", () => {
    const after = withoutSubject(RegistryProfiles.dockerhub);
    expect(after).toMatchObject({ name: "dockerhub", supportsSubject: false, referrers: "fallback" });
    expect(RegistryProfiles.dockerhub.supportsSubject).toBe(true);
  });
});

describe("profileFor", () => {
  const cases: [string, ProfileName][] = [
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "ecr"],
    ["123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "ecr"],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr"],
    ["123456789012.dkr-ecr.eu-west-1.on.aws", "ecr"],
    ["public.ecr.aws", "ecr"],
    ["ghcr.io", "ghcr"],
    ["GHCR.IO:443", "ghcr"],
    ["ghcr.io.", "ghcr"],
    ["myreg.azurecr.io", "acr"],
    ["myreg.westeurope.data.azurecr.io", "acr"],
    ["gcr.io", "gcr"],
    ["eu.gcr.io", "gcr"],
    ["europe-west1-docker.pkg.dev", "gcr"],
    ["quay.io", "quay"],
    ["docker.io", "dockerhub"],
    ["registry-1.docker.io", "dockerhub"],
    ["index.docker.io", "dockerhub"],
    ["acme.jfrog.io", "artifactory"],
    ["127.0.0.1:5000", "oci11"],
    ["[::1]:5000", "oci11"],
    ["registry.internal.example", "oci11"],
  ];
  it.each(cases)("%s → %s", (host, name) => {
    expect(profileFor(host).name).toBe(name);
  });

  const hostile = [
    "ghcr.io.evil.com",
    "evilghcr.io",
    "ghcr.io-evil.com",
    "quay.io.evil.com",
    "notquay.io",
    "evildocker.io",
    "docker.io.evil.com",
    "azurecr.io",
    "evilazurecr.io",
    "myreg.azurecr.io.evil.com",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com",
    "evil.dkr.ecr.us-east-1.amazonaws.com",
    "123456789012.dkr.ecr.us-east-1.notamazonaws.com",
    "gcr.io.evil.com",
    "evilgcr.io",
    "a.b.gcr.io",
    "docker.pkg.dev",
    "europe-docker.pkg.dev.evil.com",
    "jfrog.io",
    "ghcr.io/evil",
    "ghcr.io@evil.com",
  ];
  it.each(hostile)("%s is not a hosted registry's profile", (host) => {
    expect(profileFor(host).name).toBe("oci11");
  });

  it("explicit configuration wins over the host", () => {
    expect(profileFor("ghcr.io", "distribution").name).toBe("distribution");
    expect(profileFor("127.0.0.1:5000", "zot").name).toBe("zot");
  });

  it("an unknown configured name is an error, not the default", () => {
    expect(() => profileFor("ghcr.io", "github")).toThrow(UnknownRegistryProfileError);
    expect(() => profileNamed("toString")).toThrow(/unknown registry profile "toString"/);
  });
});
