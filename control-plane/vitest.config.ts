import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  // Suites that share the PostgreSQL server create their own database each, so files may run in parallel.
  test: { include: ["src/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 },
});
