import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["lib/**/*.test.ts", "functions/**/*.test.ts", "test/**/*.test.ts", "infra/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/workers/**"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
