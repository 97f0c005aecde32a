import { HoldfastError } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { createUser } from "./create-user.js";
import { getUser } from "./find-user.js";
import { deleteUser, updateUser } from "./update-user.js";

const code = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof HoldfastError ? e.code : String(e)));

describe.each(DIALECTS)("the last enabled admin on %s", (dialect) => {
  let tdb: TestDatabase;
  const user = async (email: string, role: "admin" | "operator" | "viewer") =>
    (await createUser(tdb.ctx, { email, role, password: "a long enough password" })).user.id;
  const enabledAdmins = async () => {
    const { db, t } = tdb.database;
    return (await db.select({ id: t.users.id }).from(t.users).where(and(eq(t.users.role, "admin"), isNull(t.users.disabledAt)))).map((r) => r.id);
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("cannot be demoted, disabled or deleted, and nothing changes; another admin lifts the rule", async () => {
    const only = await user("only@example.com", "admin");
    const before = await getUser(tdb.ctx, only);
    for (const attempt of [
      () => updateUser(tdb.ctx, only, { role: "operator" }),
      () => updateUser(tdb.ctx, only, { disabled: true }),
      () => updateUser(tdb.ctx, only, { role: "viewer", disabled: true }),
      () => deleteUser(tdb.ctx, only),
    ]) {
      expect(await code(attempt())).toBe("LAST_ADMIN");
    }
    expect(await getUser(tdb.ctx, only)).toEqual(before);
    // What keeps an admin an admin is not refused.
    await expect(updateUser(tdb.ctx, only, { role: "admin", disabled: false })).resolves.toMatchObject({ role: "admin", disabledAt: null });

    const second = await user("second@example.com", "admin");
    await expect(updateUser(tdb.ctx, only, { role: "operator" })).resolves.toMatchObject({ role: "operator" });
    expect(await code(updateUser(tdb.ctx, second, { disabled: true }))).toBe("LAST_ADMIN");
    await updateUser(tdb.ctx, only, { role: "admin" });
  });

  it("counts a disabled admin as no admin", async () => {
    const [a, b] = await enabledAdmins();
    await updateUser(tdb.ctx, b!, { disabled: true });
    expect(await code(updateUser(tdb.ctx, a!, { role: "viewer" }))).toBe("LAST_ADMIN");
    const enabled = await updateUser(tdb.ctx, b!, { disabled: false });
    expect(enabled.disabledAt).toBeNull();
    await expect(updateUser(tdb.ctx, a!, { disabled: true })).resolves.toMatchObject({ disabledAt: expect.any(String) });
    await updateUser(tdb.ctx, a!, { disabled: false });
  });

  it("keeps one enabled admin when two admins demote each other at the same moment", async () => {
    const [a, b] = await enabledAdmins();
    expect([a, b].every(Boolean)).toBe(true);
    for (let round = 0; round < 15; round++) {
      const outcomes = await Promise.all([code(updateUser(tdb.ctx, a!, { role: "viewer" })), code(updateUser(tdb.ctx, b!, { disabled: true }))]);
      expect(outcomes.sort(), `round ${round}`).toEqual(["LAST_ADMIN", "resolved"]);
      expect(await enabledAdmins(), `round ${round}`).toHaveLength(1);
      await updateUser(tdb.ctx, a!, { role: "admin", disabled: false });
      await updateUser(tdb.ctx, b!, { role: "admin", disabled: false });
    }
  });

  it("answers USER_NOT_FOUND for an unknown id, whatever the change", async () => {
    expect(await code(updateUser(tdb.ctx, "usr_nobody", { role: "viewer" }))).toBe("USER_NOT_FOUND");
    expect(await code(updateUser(tdb.ctx, "usr_nobody", { role: "admin" }))).toBe("USER_NOT_FOUND");
    expect(await code(deleteUser(tdb.ctx, "usr_nobody"))).toBe("USER_NOT_FOUND");
  });
});
