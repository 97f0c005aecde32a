import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  test: {
    // Suites that share the PostgreSQL server create their own database each, so files may run in parallel.
    include: ["src/**/*.test.ts"],
    // vitest runs one file at a time on a 2-core machine (cores - 1); these files mostly wait on
    // PostgreSQL, child processes and sockets, so three at once use the cores that waiting leaves idle.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // `*.test-d.ts` are checked by tsc, not run: the types hc<AppType> gives clients.
    typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.typecheck.json" },
  },
});
