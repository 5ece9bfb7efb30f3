// `countersign`: the three library entry points in one import (each is also its own subpath export).
export * from "./registry.ts";
export * from "./signing.ts";
export * from "./verification.ts";
