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
          // make test runs every project at once on 2 cores: a line may wait seconds for a CPU.
          // Only failing checks wait that long; absences are judged with sentinels, not time.
          env: { DUMMY_CHAT_CHECK_ARRIVAL_MS: "6000" },
        },
      },
    ],
  },
});
