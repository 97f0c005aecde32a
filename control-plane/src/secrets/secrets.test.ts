import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadEnv } from "../env.js";
import { loadMasterKey } from "./master-key.js";
import { SecretBox } from "./secret-box.js";

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));

  it("opens what it sealed, under the same context only", () => {
    const sealed = box.seal("hunter2", "dst_1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("hunter2");
    expect(box.open(sealed, "dst_1")).toBe("hunter2");
    expect(() => box.open(sealed, "dst_2")).toThrow(HoldfastError);
  });

  it("takes a fresh nonce for every seal", () => {
    const a = box.seal("same", "dst_1");
    const b = box.seal("same", "dst_1");
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), "base64url").subarray(0, 12)).not.toEqual(Buffer.from(b.slice(3), "base64url").subarray(0, 12));
  });

  it("refuses an altered value, another key, and garbage", () => {
    const sealed = box.seal("secret value", "dst_1");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    raw[14] = raw[14]! ^ 1;
    expect(() => box.open(`v1.${raw.toString("base64url")}`, "dst_1")).toThrow(/master key/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, "dst_1")).toThrow(HoldfastError);
    for (const junk of ["", "v1.", "v2.abc", "v1.AAAA", "plain"]) expect(() => box.open(junk, "dst_1")).toThrow(HoldfastError);
  });

  it("opens what was sealed before the format moved to shared (same key, same context)", () => {
    const sealed = "v1.hMOUvo1JC-N0nEJslZTpjEF5322M_ivFJgm7WEDzpmjmm0aBYletr-K41w";
    expect(new SecretBox(Buffer.alloc(32, 7)).open(sealed, "dst_legacy")).toBe("AKIA/secret+key");
    expect(() => new SecretBox(Buffer.alloc(32, 7)).open(sealed, "dst_other")).toThrow(HoldfastError);
  });

  it("wants a 32-byte key", () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow();
  });
});

describe("loadMasterKey", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-key-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("creates the key file 0600 on first start and reads the same key after", async () => {
    const file = join(dir, "data", "master.key");
    const first = await loadMasterKey({ masterKey: undefined, masterKeyFile: file });
    expect(first).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, "utf8")).trim(), "base64")).toEqual(first);
    expect(await loadMasterKey({ masterKey: undefined, masterKeyFile: file })).toEqual(first);
  });

  it("gives every process starting at once the same key", async () => {
    const file = join(dir, "master.key");
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadMasterKey({ masterKey: undefined, masterKeyFile: file })));
    for (const k of keys) expect(k).toEqual(keys[0]);
  });

  it("prefers HOLDFAST_MASTER_KEY and then writes no file", async () => {
    const key = randomBytes(32);
    const env = loadEnv({ dataDir: dir }, { HOLDFAST_MASTER_KEY: key.toString("base64") });
    expect(await loadMasterKey(env)).toEqual(key);
    await expect(stat(env.masterKeyFile)).rejects.toThrow();
  });

  it("refuses a malformed HOLDFAST_MASTER_KEY without echoing it", () => {
    const err = (() => {
      try {
        loadEnv({ dataDir: dir }, { HOLDFAST_MASTER_KEY: "c2hvcnQ=" });
      } catch (e) {
        return e as HoldfastError;
      }
    })();
    expect(err?.code).toBe("VALIDATION_FAILED");
    expect(JSON.stringify(err?.toBody())).not.toContain("c2hvcnQ=");
  });

  it("refuses a key file others may read, or one that holds no key", async () => {
    const file = join(dir, "master.key");
    await writeFile(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o644 });
    await chmod(file, 0o644);
    await expect(loadMasterKey({ masterKey: undefined, masterKeyFile: file })).rejects.toThrow(/chmod 600/);
    await writeFile(file, "not a key\n", { mode: 0o600 });
    await chmod(file, 0o600);
    await expect(loadMasterKey({ masterKey: undefined, masterKeyFile: file })).rejects.toThrow(/base64 of 32 bytes/);
  });
});
