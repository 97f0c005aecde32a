const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call with the same key has settled: two changes of one datasource
 * in this process never interleave their steps on the agent and in the database.
 */
export function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = chains.get(key) ?? Promise.resolve();
  const result = before.then(fn, fn);
  const settled = result.then(
    () => {},
    () => {},
  );
  chains.set(key, settled);
  void settled.then(() => {
    if (chains.get(key) === settled) chains.delete(key);
  });
  return result;
}
