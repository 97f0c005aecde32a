import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";
import { serverCodeGuard } from "./scripts/server-code-guard.ts";

/**
 * The control plane replaces this placeholder in index.html with a fresh nonce on every answer and
 * allows it in the Content-Security-Policy's style-src: the style tags Mantine and its scroll lock
 * insert carry it (docs/decisions.md, "The console's Content-Security-Policy").
 */
export const CSP_NONCE_PLACEHOLDER = "HOLDFAST_CSP_NONCE";

export default defineConfig({
  plugins: [react(), serverCodeGuard()],
  // `@holdfast/shared` from its TypeScript sources, as the other packages' tests read it.
  resolve: { conditions: ["@holdfast/source"] },
  html: { cspNonce: CSP_NONCE_PLACEHOLDER },
  build: {
    // The size report reads it to tell the initial load from the lazy pages.
    manifest: true,
    target: "es2022",
    sourcemap: true,
    // The budget is checked on the initial load, gzipped, by scripts/report-bundle-size.mjs.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev --workspace web` next to `holdfast serve` on its default port.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
  },
});
