import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errorOf, randomSource } from "../testing/destination-contract.js";
import { boundedLocalDestination } from "./bounded-local.js";
import { SMALL_PUT_BYTES } from "./local-small-put.js";
import { spawnCount } from "./local-spawn.js";
import { IDLE_MS, localWorkerPid } from "./local-worker.js";

/** Handles that keep this process running (a ref'd child or pipe would show here). */
const holding = () => process.getActiveResourcesInfo().filter((r) => r === "ProcessWrap" || r === "PipeWrap").length;

describe("the local destination's worker", () => {
  let dir: string;
  let spool: string;
  const bytes = randomBytes(10_000);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-worker-"));
    await mkdir(join(dir, "spool"), { mode: 0o700 });
    spool = join(dir, "spool", "run_1.artifact");
    await writeFile(spool, bytes, { mode: 0o600 });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  /** A "spool copy" that is a FIFO: the worker's open of the linked name blocks until a writer comes, none does. */
  async function stuckSpool(name: string): Promise<string> {
    const fifo = join(dir, "spool", name);
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    return fifo;
  }

  it("serves call after call, of every kind and from every instance of the folder, in one process that keeps nothing running", async () => {
    const root = join(dir, "dest");
    const before = holding();
    const dest = boundedLocalDestination({ path: root });
    expect(await dest.stat("ds_1/none.gz")).toBeNull();
    const pid = localWorkerPid(root);
    expect(pid).toBeGreaterThan(0);
    // Idle between calls, the worker holds up no exit of the control plane.
    expect(holding()).toBe(before);
    for (let i = 0; i < 5; i++) {
      // A delivery opens the destination anew each time: the folder's worker is still the one.
      const again = boundedLocalDestination({ path: root });
      expect(await again.link!(spool, `ds_1/x${i}.gz`, { bytes: bytes.length })).toEqual({ path: join(root, "ds_1", `x${i}.gz`), bytes: bytes.length });
      expect((await again.stat(`ds_1/x${i}.gz`))?.bytes).toBe(bytes.length);
      expect((await again.list("ds_1/")).map((e) => e.name)).toEqual([`ds_1/x${i}.gz`]);
      await again.delete(`ds_1/x${i}.gz`);
      expect(await again.freeSpace()).toBeGreaterThan(0);
      expect((await again.test()).ok).toBe(true);
      expect(localWorkerPid(root)).toBe(pid);
    }
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect(holding()).toBe(before);
  });

  it("answers concurrent calls each with its own result, errors included", async () => {
    const dest = boundedLocalDestination({ path: dir });
    const sizes = [1, 20, 300, 4000, 50_000, 7, 66, 800];
    await mkdir(join(dir, "ds_1"));
    await Promise.all(sizes.map((n, i) => writeFile(join(dir, "ds_1", `f${i}.gz`), randomBytes(n))));
    // The failing link has a spool copy of its own: two links of one inode at once would both copy.
    const other = join(dir, "spool", "run_2.artifact");
    await writeFile(other, bytes, { mode: 0o600 });
    await dest.stat("ds_1/f0.gz");
    const pid = localWorkerPid(dir);
    const [stats, listed, missing, wrongSize, linked] = await Promise.all([
      Promise.all(sizes.map((_, i) => dest.stat(`ds_1/f${i}.gz`))),
      dest.list("ds_1/f"),
      dest.stat("ds_1/none.gz"),
      errorOf(dest.link!(other, "ds_2/bad.gz", { bytes: 1 })),
      dest.link!(spool, "ds_2/good.gz", { bytes: bytes.length }),
    ]);
    expect(stats.map((s) => s?.bytes)).toEqual(sizes);
    expect(listed.map((e) => [e.name, e.bytes])).toEqual(sizes.map((n, i) => [`ds_1/f${i}.gz`, n]));
    expect(missing).toBeNull();
    expect(wrongSize.code).toBe("CHECKSUM_MISMATCH");
    expect(linked).toEqual({ path: join(dir, "ds_2", "good.gz"), bytes: bytes.length });
    expect(localWorkerPid(dir)).toBe(pid);
  });

  // Three workers start through tsx here, seconds each on a busy machine.
  it("kills a worker whose call blocks: every call in flight on it fails DESTINATION_UNREACHABLE, the next starts a new worker", { timeout: 60_000 }, async () => {
    const fifo = await stuckSpool("stuck.artifact");
    const fine = boundedLocalDestination({ path: dir });
    expect(await fine.stat("ds_1/none.gz")).toBeNull();
    const pid = localWorkerPid(dir)!;
    // As deliveries open it with HOLDFAST_LOCAL_DESTINATION_TIMEOUT_MS=300.
    const dest = boundedLocalDestination({ path: dir }, { timeoutMs: 300 });
    const [first, second] = await Promise.all([errorOf(dest.link!(fifo, "ds_1/a.gz", { bytes: 0 })), errorOf(dest.link!(fifo, "ds_1/b.gz", { bytes: 0 }))]);
    for (const err of [first, second]) {
      expect(err.code).toBe("DESTINATION_UNREACHABLE");
      expect(err.retryable).toBe(true);
      expect(err.message).toBe(`The folder ${dir} did not answer for 0.3 s (link); the operation was stopped`);
      expect(err.details).toEqual({ reason: "no answer within 300 ms", operation: "link" });
    }
    // Answered once the process is gone, not before.
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(localWorkerPid(dir)).toBeUndefined();
    expect(await fine.stat("ds_1/none.gz")).toBeNull();
    expect(localWorkerPid(dir)).not.toBe(pid);
  });

  it("fails the calls of a worker that dies with DELIVERY_FAILED, and starts another for the next call", { timeout: 60_000 }, async () => {
    const fifo = await stuckSpool("stuck.artifact");
    const dest = boundedLocalDestination({ path: dir });
    const blocked = errorOf(dest.link!(fifo, "ds_1/a.gz", { bytes: 0 }));
    // The worker is inside the call once the temp link exists (it blocks opening it).
    await vi.waitFor(async () => expect((await readdir(join(dir, "ds_1"))).length).toBe(1), { timeout: 20_000, interval: 50 });
    const pid = localWorkerPid(dir)!;
    process.kill(pid, "SIGKILL");
    const err = await blocked;
    expect(err.code).toBe("DELIVERY_FAILED");
    expect(err.message).toBe("The local destination's process ended with SIGKILL");
    expect(await dest.stat("ds_1/none.gz")).toBeNull();
    const next = localWorkerPid(dir)!;
    expect(next).not.toBe(pid);

    // One that dies while idle is noticed and replaced too.
    process.kill(next, "SIGKILL");
    await vi.waitFor(() => expect(localWorkerPid(dir)).toBeUndefined(), { timeout: 20_000, interval: 20 });
    expect(await dest.freeSpace()).toBeGreaterThan(0);
    expect(localWorkerPid(dir)).not.toBe(next);
  });

  it("writes a small object on the worker, whole or not at all; one longer than it said goes through a child of its own", async () => {
    const dest = boundedLocalDestination({ path: dir });
    expect(await dest.stat("ds_1/none.gz")).toBeNull();
    const pid = localWorkerPid(dir);
    const small = randomBytes(SMALL_PUT_BYTES);
    const spawned = spawnCount();
    expect(await dest.put(Readable.from([small.subarray(0, 1000), small.subarray(1000)]), "ds_1/a.json", { bytes: small.length })).toEqual({ path: join(dir, "ds_1", "a.json"), bytes: small.length });
    expect((await readFile(join(dir, "ds_1", "a.json"))).equals(small)).toBe(true);
    expect(spawnCount()).toBe(spawned);
    expect(localWorkerPid(dir)).toBe(pid);

    const src = randomSource(3 * 1024 * 1024, 256 * 1024, 512 * 1024);
    const err = await errorOf(dest.put(src.stream, "ds_1/half.json", { bytes: 100 }));
    expect(err.message).toContain("source died");
    expect(await readdir(join(dir, "ds_1"))).toEqual(["a.json"]);

    // Declared small, it is not: what was read and the rest are written whole, by a child.
    const big = randomSource(3 * 1024 * 1024, 256 * 1024);
    expect((await dest.put(big.stream, "ds_1/big.json", { bytes: 100 })).bytes).toBe(3 * 1024 * 1024);
    expect(createHash("sha256").update(await readFile(join(dir, "ds_1", "big.json"))).digest("hex")).toBe(big.sha256());
    expect(spawnCount()).toBe(spawned + 1);
  });

  it("ends a worker left idle for IDLE_MS", async () => {
    const dest = boundedLocalDestination({ path: dir });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    expect(await dest.stat("ds_1/none.gz")).toBeNull();
    const pid = localWorkerPid(dir)!;
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect(localWorkerPid(dir)).toBe(pid);
    vi.advanceTimersByTime(1);
    expect(localWorkerPid(dir)).toBeUndefined();
    vi.useRealTimers();
    await vi.waitFor(() => expect(existsSync(`/proc/${pid}`)).toBe(false), { timeout: 20_000, interval: 20 });
    expect(await dest.stat("ds_1/none.gz")).toBeNull();
    expect(localWorkerPid(dir)).not.toBe(pid);
  });
});
