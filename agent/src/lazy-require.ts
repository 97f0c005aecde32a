import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded on its first use, synchronously, so sync callers stay sync. For the
 * packages of features most agents never use (tar-stream, picomatch): the idle `run` does not carry
 * them (docs/decisions.md, "Agent idle memory (issue 18)").
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
