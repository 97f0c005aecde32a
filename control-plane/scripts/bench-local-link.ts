// Delivery to a local folder on the spool's file system: copy (stream, hash, fsync, rename) against
// hard link (link, rename, folder fsync), both through the child process the control plane uses.
// Paired, interleaved runs; prints the median and spread of each. Asserts nothing.
// Reads the built control plane (`npx tsc -b` first): from the sources, every child would start
// through tsx, seconds each, and the figure would be tsx's.
//   npx tsx scripts/bench-local-link.ts [MiB] [pairs] [folder]
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readVerified } from "../dist/deliveries/verified-read.js";
import { boundedLocalDestination } from "../dist/destinations/bounded-local.js";

const mib = Number(process.argv[2] ?? 256);
const pairs = Number(process.argv[3] ?? 5);
const base = process.argv[4] ?? tmpdir();

const dir = await mkdtemp(join(base, "holdfast-link-bench-"));
const spool = join(dir, "run.artifact");
const hash = createHash("sha256");
const file = await open(spool, "w", 0o600);
for (let i = 0; i < mib; i++) {
  const chunk = randomBytes(1024 * 1024);
  hash.update(chunk);
  await file.write(chunk);
}
await file.sync();
await file.close();
const range = { offset: 0, sizeBytes: mib * 1024 * 1024, sha256: hash.digest("hex") };

const dest = boundedLocalDestination({ path: join(dir, "dest") });
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
const copy = () => timed(() => dest.put(readVerified(spool, range, "bench"), `copy-${Math.random()}.bin`, { bytes: range.sizeBytes }));
const link = async () => {
  const name = `link-${Math.random()}.bin`;
  const took = await timed(async () => {
    if (!(await dest.link!(spool, name, { bytes: range.sizeBytes }))) throw new Error("not linked: another file system?");
  });
  // Removed at once, untimed: the next link must again be the inode's only other name.
  await dest.delete(name);
  return took;
};

// What any operation of the child costs (starting it): a stat of the same folder.
const stat = () => timed(() => dest.stat("absent.bin"));

const ms = { copy: [] as number[], link: [] as number[], stat: [] as number[] };
for (let i = 0; i < pairs; i++) {
  // Alternate which goes first, so the page cache and the disk's write-back favour neither.
  if (i % 2 === 0) {
    ms.copy.push(await copy());
    ms.link.push(await link());
  } else {
    ms.link.push(await link());
    ms.copy.push(await copy());
  }
  ms.stat.push(await stat());
}
await rm(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;
console.log(`${mib} MiB in ${base}, ${pairs} pairs, load ${loadavg()[0]!.toFixed(1)} at the end`);
console.log(`copy: ${fmt(ms.copy)}, ${((mib / median(ms.copy)) * 1000).toFixed(0)} MiB/s`);
console.log(`link: ${fmt(ms.link)}`);
console.log(`stat (the child's start alone): ${fmt(ms.stat)}`);
console.log(`copy / link: ${(median(ms.copy) / median(ms.link)).toFixed(1)}x`);
