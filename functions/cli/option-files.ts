// Files and keys named by a flag: every failure is one line naming the flag, the file and what was
// expected, never Node's `ENOENT: …, open '…'` or a parser's message about some other kind of key.
import { readFile } from "node:fs/promises";
import { KeyFormatError, KmsKeyUriError, UnsupportedKeyError } from "../../lib/signing/errors.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { fileProblem } from "../node/file-problem.ts";
import { type OpenSignerOptions, openSigner } from "../node/key-files.ts";
import { InputError } from "./command.ts";

export async function readOptionFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(`${flag} ${path}: ${fileProblem(error)}`, { cause: error });
  }
}

/** The signer `--key` names (a private key file or an awskms:// URI), with the flag in any error. */
export async function openKeyOption(key: string, options: OpenSignerOptions = {}): Promise<Signer> {
  try {
    return await openSigner(key, options);
  } catch (error) {
    if (
      error instanceof KeyFormatError ||
      error instanceof UnsupportedKeyError ||
      error instanceof KmsKeyUriError
    ) {
      throw new InputError(`--key ${error.message}`, { cause: error });
    }
    throw error;
  }
}
