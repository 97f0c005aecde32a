import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  test: {
    // Suites that share the PostgreSQL server create their own database each, so files may run in parallel.
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // `*.test-d.ts` are checked by tsc, not run: the types hc<AppType> gives clients.
    typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.typecheck.json" },
  },
});
