import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ReceivedHashes } from "./received-hashes.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("ReceivedHashes", () => {
  const dir = mkdtempSync(join(tmpdir(), "hf-hashes-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = randomBytes(2 * 1024 * 1024 + 3);

  it("goes on from the hash it holds when the next upload starts where the last ended", async () => {
    const hashes = new ReceivedHashes();
    const first = await hashes.resume("run_a", join(dir, "absent"), 0);
    first.update(bytes.subarray(0, 1000));
    hashes.keep("run_a", 1000, first);
    const next = await hashes.resume("run_a", join(dir, "absent"), 1000);
    next.update(bytes.subarray(1000));
    hashes.keep("run_a", bytes.length, next);
    expect(hashes.digestAt("run_a", bytes.length)).toBe(sha(bytes));
    // Asked at another length (the file changed under it), it answers nothing rather than a wrong hash.
    expect(hashes.digestAt("run_a", bytes.length - 1)).toBeNull();
  });

  it("re-hashes the prefix on disk once when it holds none (a restart, a cut that left them apart)", async () => {
    const path = join(dir, "run_b.partial");
    writeFileSync(path, bytes.subarray(0, 777_777));
    const hashes = new ReceivedHashes();
    const h = await hashes.resume("run_b", path, 777_777);
    h.update(bytes.subarray(777_777));
    hashes.keep("run_b", bytes.length, h);
    expect(hashes.digestAt("run_b", bytes.length)).toBe(sha(bytes));
  });
});
