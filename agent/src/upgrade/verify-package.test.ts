import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { afterAll, describe, expect, it } from "vitest";
import { verifyPackage } from "./verify-package.js";

const dir = mkdtempSync(path.join(tmpdir(), "holdfast-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Larger than one read chunk (64 KiB), so a flipped byte in a later chunk must be found too.
const bytes = Buffer.alloc(300_000, 7);
const sha256 = createHash("sha256").update(bytes).digest("hex");

function write(name: string, content: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function refusal(file: string, expected: { sha256: string; size: number }): Promise<HoldfastError> {
  const err = await verifyPackage(file, expected).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof HoldfastError)) throw new Error(`expected a HoldfastError, got ${String(err)}`);
  return err;
}

describe("verifyPackage", () => {
  it("accepts the file the manifest describes", async () => {
    await expect(verifyPackage(write("good.tar.gz", bytes), { sha256, size: bytes.length })).resolves.toBeUndefined();
  });

  it("refuses a copy with one byte flipped, naming both hashes", async () => {
    const tampered = Buffer.from(bytes);
    tampered[200_000]! ^= 0x01;
    const err = await refusal(write("tampered.tar.gz", tampered), { sha256, size: bytes.length });
    expect(err.code).toBe("CHECKSUM_MISMATCH");
    expect(err.message).toContain("does not match the manifest's SHA-256");
    expect(err.details).toMatchObject({ expectedSha256: sha256, actualSha256: createHash("sha256").update(tampered).digest("hex") });
  });

  it("refuses a cut download by its size", async () => {
    const err = await refusal(write("cut.tar.gz", bytes.subarray(0, 1000)), { sha256, size: bytes.length });
    expect(err.code).toBe("CHECKSUM_MISMATCH");
    expect(err.details).toMatchObject({ expectedSize: bytes.length, actualSize: 1000 });
  });
});
