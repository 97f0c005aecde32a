import { defineConfig } from "vitest/config";

// Cross-process suites: real control-plane and agent processes, real PostgreSQL. Each file boots
// its own processes on free ports and its own scratch databases, so files run in parallel.
export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  test: {
    // bench/lib, faults/lib: the benchmarks' statistics and report writer, the fault suite's seed and tally (pure, milliseconds).
    include: ["e2e/**/*.test.ts", "bench/lib/**/*.test.ts", "faults/lib/**/*.test.ts"],
    globalSetup: ["support/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 3,
  },
});
