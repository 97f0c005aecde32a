import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@holdfast/source"] },
  test: { include: ["src/**/*.test.ts"] },
});
