// What went wrong reading a file, in words a reader can act on, without Node's error code and
// stack ("ENOENT: no such file or directory, open '…'" names the path twice and the cause once).

/** `no such file or directory`, `permission denied`: what a reader can act on, without Node's error code. */
export function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory, not a file";
    case "EEXIST":
      return "already exists (never overwritten)";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    default:
      return typeof code === "string" ? code : "unreadable";
  }
}
