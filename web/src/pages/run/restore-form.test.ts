import { describe, expect, it } from "vitest";
import { EMPTY_RESTORE, restoreBody, restoreFieldsSchema } from "./restore-form.js";

const IDENTITY = `AGE-SECRET-KEY-1${"Q".repeat(58)}`;
const names = (id: string) => (id === "ds_target" ? "orders-staging" : undefined);

describe("restore form", () => {
  it("asks for a target", () => {
    const r = restoreFieldsSchema(false, names).safeParse(EMPTY_RESTORE);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["targetDatasourceId", "Choose the datasource to restore into"]]);
  });

  it("asks for the target's name to be typed before an overwrite", () => {
    const schema = restoreFieldsSchema(false, names);
    const fields = { ...EMPTY_RESTORE, targetDatasourceId: "ds_target", overwrite: true, confirm: "orders" };
    expect(schema.safeParse(fields).error?.issues[0]?.message).toBe("Type orders-staging to confirm");
    expect(schema.safeParse({ ...fields, confirm: "orders-staging" }).success).toBe(true);
  });

  it("asks an encrypted backup for a well-formed identity, and sends it only then", () => {
    const fields = { ...EMPTY_RESTORE, targetDatasourceId: "ds_target" };
    expect(restoreFieldsSchema(true, names).safeParse(fields).success).toBe(false);
    expect(restoreFieldsSchema(true, names).safeParse({ ...fields, identity: "AGE-SECRET-KEY-1nope" }).success).toBe(false);
    expect(restoreFieldsSchema(true, names).safeParse({ ...fields, identity: ` ${IDENTITY}\n` }).success).toBe(true);
    expect(restoreBody({ ...fields, identity: ` ${IDENTITY}\n` }, true)).toEqual({ targetDatasourceId: "ds_target", options: { identity: IDENTITY } });
    expect(restoreBody({ ...fields, identity: "left over", overwrite: true }, false)).toEqual({ targetDatasourceId: "ds_target", options: { overwrite: true } });
  });

  it("sends a whole server's choices: the databases picked (escaped, to match themselves alone), the names changed, the roles", () => {
    const fields = { ...EMPTY_RESTORE, targetDatasourceId: "ds_target", databases: ["shop", "a*b"], renames: { shop: " shop_copy ", "a*b": "a*b", crm: "crm2" }, globals: true };
    expect(restoreFieldsSchema(false, names).safeParse(fields).success).toBe(true);
    expect(restoreBody(fields, false, true)).toEqual({
      targetDatasourceId: "ds_target",
      options: { globals: true, databases: { include: ["shop", "a\\*b"] }, rename: { shop: "shop_copy" } },
    });
    // Not a whole server's backup: none of it is sent.
    expect(restoreBody(fields, false)).toEqual({ targetDatasourceId: "ds_target", options: {} });
  });

  it("refuses two databases into one name, and a name that is no database's", () => {
    const fields = { ...EMPTY_RESTORE, targetDatasourceId: "ds_target", renames: { shop: "x", crm: "x" } };
    expect(restoreFieldsSchema(false, names).safeParse(fields).error?.issues.map((i) => i.path.join("."))).toEqual(["renames.crm"]);
    expect(restoreFieldsSchema(false, names).safeParse({ ...fields, renames: { shop: "*" } }).success).toBe(false);
  });
});
