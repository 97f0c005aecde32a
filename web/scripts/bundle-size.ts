/** One entry of Vite's `.vite/manifest.json` (the fields the size report reads). */
export interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export type Manifest = Record<string, ManifestChunk>;

/**
 * The files a first visit loads: the entry chunk, every chunk it imports statically (transitively),
 * and their CSS. What is reached only through a dynamic import (a lazy page) is listed apart, with
 * what it loads beyond the initial set.
 */
export function splitInitialAndLazy(manifest: Manifest): { initial: string[]; lazy: Map<string, string[]> } {
  const closure = (keys: string[], into = new Set<string>()): Set<string> => {
    for (const key of keys) {
      const chunk = manifest[key];
      if (!chunk || into.has(chunk.file)) continue;
      into.add(chunk.file);
      for (const css of chunk.css ?? []) into.add(css);
      closure(chunk.imports ?? [], into);
    }
    return into;
  };
  const entries = Object.keys(manifest).filter((k) => manifest[k]!.isEntry);
  const initial = closure(entries);
  const lazy = new Map<string, string[]>();
  for (const [key, chunk] of Object.entries(manifest)) {
    if (!chunk.isDynamicEntry) continue;
    lazy.set(key, [...closure([key])].filter((f) => !initial.has(f)));
  }
  return { initial: [...initial], lazy };
}
