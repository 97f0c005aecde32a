import { HoldfastError } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/databases.js";
import { createUser } from "./create-user.js";
import * as password from "./password.js";
import { verifyPassword } from "./verify-password.js";

// The real scrypt, counted: an unknown e-mail must cost the same hash as a known one.
vi.mock("./password.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("./password.js")>();
  return { ...real, verifyPasswordHash: vi.fn(real.verifyPasswordHash) };
});

const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof HoldfastError ? e.code : String(e)));

describe("verifyPassword", () => {
  let tdb: TestDatabase;
  const hashed = vi.mocked(password.verifyPasswordHash);
  beforeAll(async () => {
    tdb = await createTestDatabase("sqlite");
    await createUser(tdb.ctx, { email: "ops@example.com", role: "operator", password: "correct horse battery" });
  });
  afterAll(async () => tdb.cleanup());

  it("runs one hash for a known e-mail, right or wrong, and one for an unknown e-mail", async () => {
    const cases: [string, string, string][] = [
      ["ops@example.com", "correct horse battery", "resolved"],
      ["ops@example.com", "wrong horse battery", "INVALID_CREDENTIALS"],
      ["nobody@example.com", "correct horse battery", "INVALID_CREDENTIALS"],
    ];
    for (const [email, pw, expected] of cases) {
      hashed.mockClear();
      expect(await codeOf(verifyPassword(tdb.ctx, email, pw)), email).toBe(expected);
      expect(hashed, `${email}: scrypt runs once`).toHaveBeenCalledTimes(1);
    }
  });

  it("hashes an unknown e-mail's password with the same scrypt parameters a stored hash has", async () => {
    hashed.mockClear();
    await codeOf(verifyPassword(tdb.ctx, "nobody@example.com", "x"));
    const stored = await password.hashPassword("y");
    const params = (h: string) => h.split("$").slice(0, 4);
    expect(params(hashed.mock.calls[0]![1])).toEqual(params(stored));
  });
});
