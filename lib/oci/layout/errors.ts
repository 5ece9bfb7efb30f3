// Errors of OCI image layouts, named after the distribution-spec error codes they correspond to so
// that the CLI and copy treat a layout and a registry alike.

export class LayoutError extends Error {
  override readonly name: string = "LayoutError";
  /** `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `MANIFEST_INVALID`, `NAME_INVALID`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export class LayoutNotFoundError extends LayoutError {
  override readonly name: string = "LayoutNotFoundError";
}
