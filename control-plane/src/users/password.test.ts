import * as crypto from "node:crypto";
import { HoldfastError } from "@holdfast/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HASH_SLOTS, hashPassword, verifyPasswordHash } from "./password.js";

// The real scrypt, with a count of the calls in flight: the bound is on concurrent hashes, not on time.
let inFlight = 0;
let peak = 0;
vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:crypto")>();
  const scrypt = (...args: unknown[]) => {
    const done = args.pop() as (err: Error | null, key: Buffer) => void;
    inFlight++;
    peak = Math.max(peak, inFlight);
    (real.scrypt as (...a: unknown[]) => void)(...args, (err: Error | null, key: Buffer) => {
      inFlight--;
      done(err, key);
    });
  };
  return { ...real, scrypt };
});

/** A hash with small scrypt parameters (they travel with each hash): cheap enough to run forty. */
function cheapHash(password: string): string {
  const salt = Buffer.alloc(16, 7);
  const key = crypto.scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return ["scrypt", 1024, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$");
}

describe("password hashing", () => {
  afterEach(() => {
    peak = 0;
  });

  it("runs at most two hashes at once, whatever the number of checks waiting, and answers each rightly", async () => {
    const stored = cheapHash("right password");
    const checks = Array.from({ length: 20 }, (_, i) => verifyPasswordHash(i % 2 ? "right password" : "wrong password", stored));
    const results = await Promise.all(checks);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 1));
    expect(peak).toBe(HASH_SLOTS);
    expect(inFlight).toBe(0);
  });

  it("counts new hashes (user creation) against the same two slots", async () => {
    const stored = cheapHash("x");
    await Promise.all([hashPassword("one password here"), verifyPasswordHash("x", stored), hashPassword("another password"), verifyPasswordHash("y", stored)]);
    expect(peak).toBe(HASH_SLOTS);
  });

  it("tells checks beyond the waiting line to come back (RATE_LIMITED, retry after a second) instead of queueing them without bound", async () => {
    const stored = cheapHash("p");
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => verifyPasswordHash("p", stored)));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    // Two hashing and 32 in line; the six after them are refused at once.
    expect(outcomes.filter((o) => o.status === "fulfilled").length).toBe(34);
    expect(refused.length).toBe(6);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(HoldfastError);
      expect(r.reason).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
    }
    expect(peak).toBe(HASH_SLOTS);
    // The slots are all given back: the next check runs at once.
    await expect(verifyPasswordHash("p", stored)).resolves.toBe(true);
  });
});
