// `countersign/node`: what embedding Countersign on Node adds to the portable entry points: key files,
// the Docker credential file, a pooled keep-alive fetch for registries, OCI layouts on disk.
export { dockerConfigPath, loadDockerCredentials } from "../node/docker-config.ts";
export { createPooledFetch, type PooledFetch } from "../node/fetch.ts";
export { loadKeyFile, type OpenSignerOptions, openSigner } from "../node/key-files.ts";
export { nodeLayoutFileSystem } from "../node/layout-fs.ts";
