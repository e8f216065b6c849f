import { defineConfig } from "vitest/config";

// Three tiers, one runner: `npm test` runs unit (mocks, fast); integration starts real
// servers on loopback; engine drives the real Pulumi CLI. Each tier is its own project
// so that the slow ones never run by accident.
export default defineConfig({
  test: {
    projects: [
      // Not isolated: the files of a worker share the harness's cached runs of the committed
      // stacks (runStack), which is most of the tier's time. Safe because runUnderMocks queues
      // runs and resets the Pulumi runtime for each, and tests only read the results.
      // The hooks that run the stacks take longer than vitest's 10 s on a busy 2-core machine.
      { test: { name: "unit", include: ["test/unit/**/*.test.ts", "test/policies/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000, isolate: false } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          testTimeout: 1_800_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
