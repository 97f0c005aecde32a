import { defineConfig } from "vitest/config";

// The standing fault suite (faults/, docs/reliability.md): real control-plane and agent processes,
// real PostgreSQL, faults injected at seeded random points. One file per scenario group, run side by
// side; each file's repetitions run in turn.
export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  test: {
    // faults/lib/*.test.ts are unit tests of the harness, run with the e2e suites (vitest.config.ts).
    include: ["faults/*.test.ts"],
    globalSetup: ["faults/global-setup.ts"],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 3,
  },
});
