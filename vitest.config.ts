import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "test/workers/**"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // `npm run test:unit` runs the first project alone: no registry, emulator, bundler or child process.
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "lib/**/*.test.ts",
            "functions/**/*.test.ts",
            "test/vectors/**/*.test.ts",
            "infra/stack.test.ts",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: [
            "test/integration/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/peers/**/*.test.ts",
            "infra/synth.test.ts",
          ],
        },
      },
    ],
  },
});
