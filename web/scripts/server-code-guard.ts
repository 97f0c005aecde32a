import type { Plugin } from "vite";

/**
 * What must never reach the browser: the control plane's and the agent's code (the console imports
 * only the *type* of the control plane's app for `hc<AppType>`), and Node's built-in modules, which
 * Vite would otherwise replace with an empty stub and only warn about.
 */
const FORBIDDEN = [/[\\/]control-plane[\\/]/, /[\\/]agent[\\/]src[\\/]/, /^(\0)?node:/, /__vite-browser-external/];

/** The module ids of a bundle that match FORBIDDEN, as `chunk: module`. */
export function forbiddenModules(chunks: Iterable<{ fileName: string; moduleIds: readonly string[] }>): string[] {
  const found: string[] = [];
  for (const chunk of chunks) {
    for (const id of chunk.moduleIds) if (FORBIDDEN.some((re) => re.test(id))) found.push(`${chunk.fileName}: ${id}`);
  }
  return found;
}

/** Fails the build when server code or a Node built-in ends up in a chunk. */
export function serverCodeGuard(): Plugin {
  return {
    name: "holdfast:server-code-guard",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((o) => o.type === "chunk");
      const found = forbiddenModules(chunks);
      if (found.length > 0) this.error(`server code in the console's bundle:\n  ${found.join("\n  ")}`);
    },
  };
}
