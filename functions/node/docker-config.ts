// Registry credentials from Docker's config.json (`$DOCKER_CONFIG/config.json`, else
// `~/.docker/config.json`), parsed by lib/oci/remote/credentials.ts. A missing file means anonymous access.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  CredentialConfigError,
  type CredentialStore,
  dockerConfigCredentials,
} from "../../lib/oci/remote/credentials.ts";

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const dir =
    env.DOCKER_CONFIG && env.DOCKER_CONFIG.length > 0 ? env.DOCKER_CONFIG : join(homedir(), ".docker");
  return join(dir, "config.json");
}

export async function loadDockerCredentials(
  env: Readonly<Record<string, string | undefined>>,
): Promise<CredentialStore | undefined> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message would quote the file's content, which holds secrets.
    throw new CredentialConfigError(`${path} is not valid JSON`);
  }
  return dockerConfigCredentials(json);
}
