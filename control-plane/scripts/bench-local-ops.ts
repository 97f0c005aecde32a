// What a local destination's small operations cost one after another: `rounds` times a stat and a
// hard link (each link removed again, untimed, so the next is again the inode's only other name).
// Prints the median and spread per operation. Asserts nothing.
// Reads the built control plane (`npx tsc -b` first): from the sources a child starts through tsx.
//   npx tsx scripts/bench-local-ops.ts [rounds] [folder]
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { boundedLocalDestination } from "../dist/destinations/bounded-local.js";

const rounds = Number(process.argv[2] ?? 20);
const base = process.argv[3] ?? tmpdir();

const dir = await mkdtemp(join(base, "holdfast-ops-bench-"));
const spool = join(dir, "run.artifact");
const bytes = randomBytes(1024 * 1024);
await writeFile(spool, bytes, { mode: 0o600 });
const dest = boundedLocalDestination({ path: join(dir, "dest") });

const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
const ms = { stat: [] as number[], link: [] as number[] };
const started = performance.now();
for (let i = 0; i < rounds; i++) {
  ms.stat.push(await timed(() => dest.stat(`absent-${i}.bin`)));
  const name = `ds_1/link-${i}.bin`;
  ms.link.push(
    await timed(async () => {
      if (!(await dest.link!(spool, name, { bytes: bytes.length }))) throw new Error("not linked: another file system?");
    }),
  );
  await dest.delete(name);
}
const total = performance.now() - started;
await rm(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, mean ${mean(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
console.log(`${rounds} rounds in ${base}, load ${loadavg()[0]!.toFixed(1)} at the end`);
console.log(`stat: ${fmt(ms.stat)}`);
console.log(`link: ${fmt(ms.link)}`);
console.log(`all ${rounds * 3} operations (the deletes too): ${total.toFixed(0)} ms, ${(total / (rounds * 3)).toFixed(1)} ms each`);
