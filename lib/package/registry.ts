// `countersign/registry`: the registry client (OCI distribution, referrers API and its tag-schema
// fallback), OCI image layouts, references and copy, for programs that embed Countersign.
export { CopyError, type CopyOptions, type CopyProgress, type CopyResult, copy } from "../oci/copy/copy.ts";
export type { Descriptor, ImageIndex, ImageManifest, Manifest, Platform } from "../oci/descriptor.ts";
export { digestOf, InvalidDigestError, parseDigest } from "../oci/digest.ts";
export {
  AuthenticationError,
  CrossOriginError,
  DigestMismatchError,
  InvalidManifestError,
  ManifestTooLargeError,
  RegistryConnectionError,
  RegistryError,
  SizeMismatchError,
} from "../oci/errors.ts";
export type { LayoutFileSystem } from "../oci/layout/file-system.ts";
export { OciLayout, type OciLayoutOptions } from "../oci/layout/layout.ts";
export { InvalidReferenceError, parseReference, Reference } from "../oci/reference.ts";
export {
  type Credential,
  type CredentialStore,
  dockerConfigCredentials,
  StaticCredentialStore,
} from "../oci/remote/credentials.ts";
export { RegistryClient, type RegistryClientOptions } from "../oci/remote/registry.ts";
export type { Repository } from "../oci/remote/repository.ts";
export type { FetchedManifest, Target } from "../oci/target.ts";
