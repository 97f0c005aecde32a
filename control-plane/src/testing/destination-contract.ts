import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import type { Destination } from "../destinations/types.js";

const MIB = 1024 * 1024;

/**
 * A stream of `bytes` random bytes made chunk by chunk as it is read, hashed on the way: nothing
 * holds the whole of it. `pulled()` tells how many bytes were handed out so far.
 */
export function randomSource(bytes: number, chunk = MIB, failAfter?: number): { stream: Readable; sha256(): string; pulled(): number } {
  const hash = createHash("sha256");
  let given = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (failAfter !== undefined && given >= failAfter) {
        this.destroy(new Error("source died"));
        return;
      }
      if (given >= bytes) {
        this.push(null);
        return;
      }
      const buf = randomBytes(Math.min(chunk, bytes - given));
      hash.update(buf);
      given += buf.length;
      this.push(buf);
    },
  });
  return { stream, sha256: () => hash.digest("hex"), pulled: () => given };
}

export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function errorOf(p: Promise<unknown>): Promise<HoldfastError> {
  const err = await p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HoldfastError);
  return err as HoldfastError;
}

export interface ContractSetup {
  dest: () => Destination;
  /** Whether freeSpace() knows (local, OpenSSH) or not (S3). */
  knowsFreeSpace: boolean;
  /** Every file name at the storage's own level (temp files included), where the test can look. */
  rawNames?: () => Promise<string[]>;
}

/** The behaviour every destination shares, run against a real server by each implementation's tests. */
export function destinationContract(setup: () => ContractSetup): void {
  describe("destination contract", () => {
    it("puts a 20 MiB stream, stats, lists, gets it back byte for byte, and deletes it", { timeout: 60_000 }, async () => {
      const { dest } = setup();
      const d = dest();
      const src = randomSource(20 * MIB);
      const put = await d.put(src.stream, "ds_1/2026/05/big.bin", { bytes: 20 * MIB });
      expect(put.bytes).toBe(20 * MIB);
      expect(put.path).toContain("ds_1/2026/05/big.bin");

      const info = await d.stat("ds_1/2026/05/big.bin");
      expect(info?.bytes).toBe(20 * MIB);
      expect(Math.abs(info!.modifiedAt.getTime() - Date.now())).toBeLessThan(5 * 60_000);
      expect(await d.stat("ds_1/2026/05/none.bin")).toBeNull();

      await d.put(Readable.from([Buffer.from("small")]), "ds_1/2026/06/small.bin");
      await d.put(Readable.from([Buffer.from("other")]), "ds_2/x.bin");
      expect((await d.list("ds_1/")).map((e) => [e.name, e.bytes])).toEqual([
        ["ds_1/2026/05/big.bin", 20 * MIB],
        ["ds_1/2026/06/small.bin", 5],
      ]);
      expect((await d.list("ds_1/2026/0")).map((e) => e.name)).toEqual(["ds_1/2026/05/big.bin", "ds_1/2026/06/small.bin"]);
      expect((await d.list("ds_1/2026/05")).map((e) => e.name)).toEqual(["ds_1/2026/05/big.bin"]);
      expect((await d.list("")).map((e) => e.name)).toEqual(["ds_1/2026/05/big.bin", "ds_1/2026/06/small.bin", "ds_2/x.bin"]);
      expect(await d.list("ds_3/")).toEqual([]);

      expect(await sha256Of(await d.get("ds_1/2026/05/big.bin"))).toBe(src.sha256());
      // From an offset: the same bytes as the whole object's tail.
      const tail = Buffer.concat(await (await d.get("ds_1/2026/05/big.bin", { start: 20 * MIB - 100_000 })).toArray());
      const whole = Buffer.concat(await (await d.get("ds_1/2026/05/big.bin")).toArray());
      expect(tail.length).toBe(100_000);
      expect(tail.equals(whole.subarray(20 * MIB - 100_000))).toBe(true);

      await d.delete("ds_1/2026/05/big.bin");
      expect(await d.stat("ds_1/2026/05/big.bin")).toBeNull();
      await d.delete("ds_1/2026/05/big.bin");
      expect((await d.list("ds_1/")).map((e) => e.name)).toEqual(["ds_1/2026/06/small.bin"]);
    });

    it("replaces an object under the same name", async () => {
      const d = setup().dest();
      await d.put(Readable.from([Buffer.from("first version")]), "ds_1/same.bin");
      await d.put(Readable.from([Buffer.from("second")]), "ds_1/same.bin");
      expect((await d.stat("ds_1/same.bin"))?.bytes).toBe(6);
      const got = await d.get("ds_1/same.bin");
      expect(Buffer.concat(await got.toArray()).toString()).toBe("second");
    });

    it("leaves nothing under the final name when the source fails, and says it was the source", { timeout: 30_000 }, async () => {
      const { dest, rawNames } = setup();
      const d = dest();
      const src = randomSource(8 * MIB, MIB, 3 * MIB);
      const err = await errorOf(d.put(src.stream, "ds_1/broken.bin"));
      expect(err.code).toBe("DELIVERY_FAILED");
      expect(err.message).toContain("source died");
      expect(await d.stat("ds_1/broken.bin")).toBeNull();
      expect(await d.list("ds_1/")).toEqual([]);
      if (rawNames) expect((await rawNames()).filter((n) => n.includes("holdfast-tmp") || n.includes("broken"))).toEqual([]);
    });

    it("answers ARTIFACT_NOT_FOUND for a missing object", async () => {
      const err = await errorOf(setup().dest().get("ds_1/missing.bin"));
      expect(err.code).toBe("ARTIFACT_NOT_FOUND");
    });

    it.each(["../escape.bin", "ds/../../escape.bin", "/etc/passwd", "a\0b", "ds//x", "./x", ""])("refuses the name %j", async (name) => {
      const d = setup().dest();
      await errorOf(d.put(Readable.from([Buffer.from("x")]), name));
      await errorOf(d.stat(name));
      await errorOf(d.get(name));
      await errorOf(d.delete(name));
    });

    it("test() writes, reads back and deletes a probe, and reports what it measured", async () => {
      const { dest, knowsFreeSpace } = setup();
      const d = dest();
      const probe = await d.test();
      expect(probe).toMatchObject({ ok: true, bytes: 256 * 1024 });
      expect(probe.writeMs).toBeGreaterThanOrEqual(0);
      if (knowsFreeSpace) expect(probe.freeSpaceBytes).toBeGreaterThan(0);
      else expect(probe.freeSpaceBytes).toBeNull();
      expect(await d.list("")).toEqual([]);
    });
  });
}
