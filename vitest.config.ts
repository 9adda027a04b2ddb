import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests mostly wait on the programs they run: more files at once than cores.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "check",
          include: ["check/tests/**/*.test.ts"],
          testTimeout: 180_000,
          // Each test runs the checker, which runs four checks at once: two such tests at a time.
          maxConcurrency: 2,
        },
      },
    ],
  },
});
