import { CONNECTION_SCHEMAS, DESTINATION_CONFIGS } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { fieldsOf } from "./field-kinds.js";
import { initialInputs, toPayload } from "./form-values.js";

describe("forms drawn from the shared schemas", () => {
  it("reads each engine's fields, kinds, defaults and bounds from its schema", () => {
    const pg = fieldsOf(CONNECTION_SCHEMAS.postgres);
    expect(pg.map((f) => f.name)).toEqual(["host", "port", "database", "username", "password", "passwordFile", "tls", "standby"]);
    expect(pg.find((f) => f.name === "port")).toMatchObject({ kind: "number", min: 1, max: 65535, defaultValue: 5432, required: false });
    expect(pg.find((f) => f.name === "tls")).toMatchObject({ kind: "object", fields: [{ name: "mode", kind: "choice" }, { name: "caFile", kind: "text" }] });
    expect(fieldsOf(CONNECTION_SCHEMAS.files).map((f) => [f.name, f.kind])).toEqual([["path", "text"], ["include", "list"], ["exclude", "list"]]);
    // A piped field (SFTP's path) is read through to its input.
    expect(fieldsOf(DESTINATION_CONFIGS.sftp).find((f) => f.name === "path")).toMatchObject({ kind: "text", required: true });
  });

  it("sends a creation only what was filled in, and an update null for what was cleared, never an empty secret", () => {
    const fields = fieldsOf(CONNECTION_SCHEMAS.postgres);
    const inputs = { ...initialInputs(fields, { host: "db", database: "app", username: "u", passwordFile: "/run/p" }), passwordFile: "", password: "" };
    expect(toPayload(fields, inputs, { update: false })).toEqual({ host: "db", port: 5432, database: "app", username: "u" });
    expect(toPayload(fields, inputs, { update: true, secrets: ["password"] })).toEqual({ host: "db", port: 5432, database: "app", username: "u", passwordFile: null, tls: null, standby: null });
    // A group is sent once something beyond its defaults is filled in, with those defaults.
    const standby = { ...inputs, standby: { ...((inputs as Record<string, unknown>).standby as Record<string, string>), host: "replica" } };
    expect(toPayload(fields, standby, { update: false })).toMatchObject({ standby: { host: "replica", port: 5432, maxLagSeconds: 300 } });
    const s3 = fieldsOf(DESTINATION_CONFIGS.s3);
    const s3Inputs = initialInputs(s3, { bucket: "b", accessKeyId: "k" });
    expect(toPayload(s3, s3Inputs, { update: false })).toEqual({ region: "us-east-1", bucket: "b", forcePathStyle: false, accessKeyId: "k" });
  });

  it("draws local's readOnly as a switch: sent when on, removed (null) when turned off in an edit", () => {
    const local = fieldsOf(DESTINATION_CONFIGS.local);
    expect(local.map((f) => [f.name, f.kind, f.required])).toEqual([["path", "text", true], ["readOnly", "boolean", false]]);
    expect(toPayload(local, initialInputs(local, { path: "/srv/b", readOnly: true }), { update: false })).toEqual({ path: "/srv/b", readOnly: true });
    expect(toPayload(local, initialInputs(local, { path: "/srv/b" }), { update: false })).toEqual({ path: "/srv/b" });
    expect(toPayload(local, { ...initialInputs(local, { path: "/srv/b", readOnly: true }), readOnly: false }, { update: true })).toEqual({ path: "/srv/b", readOnly: null });
  });
});
