import { defineConfig } from "vitest/config";

// The console in a real Chromium against a real control plane process (built CLIs, as the e2e
// suites run them). Each file starts its own control plane and browser; two files at a time keep
// a 2-core machine responsive.
export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  test: {
    include: ["browser/**/*.test.ts"],
    globalSetup: ["browser/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
