import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { afterAll, describe, expect, it } from "vitest";
import { configFilePath, DEFAULT_CONFIG_FILE, loadConfiguredEnv, readConfigFile } from "./config-file.js";

const dir = mkdtempSync(join(tmpdir(), "holdfast-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A config file with this text, 0600 unless told. */
function file(text: string, mode = 0o600): string {
  const path = join(dir, `holdfast-${n++}.json`);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

function refusal(fn: () => unknown): HoldfastError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("VALIDATION_FAILED");
    return err as HoldfastError;
  }
  throw new Error("expected a refusal");
}

const MASTER_KEY = Buffer.alloc(32, 7).toString("base64");

describe("the control plane's config file", () => {
  it("is read by its camelCase keys; a variable wins over the file, a flag over both, and a default fills the rest", () => {
    const path = file(JSON.stringify({ port: 9000, host: "0.0.0.0", dataDir: "/srv/file", heartbeatMs: "500", notifyStrictAddresses: true, spoolMaxGb: 2 }));
    const fromFile = loadConfiguredEnv({ config: path }, {});
    expect(fromFile).toMatchObject({ port: 9000, host: "0.0.0.0", dataDir: "/srv/file", heartbeatMs: 500, notifyStrictAddresses: true, spoolMaxBytes: 2e9, commandTimeoutMs: 30_000 });

    const overridden = loadConfiguredEnv({ config: path, port: "7000" }, { HOLDFAST_PORT: "8000", HOLDFAST_HOST: "::", HOLDFAST_EVENTS_KEEPALIVE_MS: "200" });
    expect(overridden).toMatchObject({ port: 7000, host: "::", dataDir: "/srv/file", eventsKeepAliveMs: 200 });
  });

  it("is found through --config, else HOLDFAST_CONFIG_FILE, else the default path only when it exists; HOLDFAST_CONFIG (the remote CLI's) is not read", () => {
    expect(configFilePath("/a.json", { HOLDFAST_CONFIG_FILE: "/b.json" }, () => false)).toBe("/a.json");
    expect(configFilePath(undefined, { HOLDFAST_CONFIG_FILE: "/b.json" }, () => false)).toBe("/b.json");
    expect(configFilePath(undefined, { HOLDFAST_CONFIG: "/cli.json" }, () => false)).toBeNull();
    expect(configFilePath(undefined, {}, (p) => p === DEFAULT_CONFIG_FILE)).toBe(DEFAULT_CONFIG_FILE);
    const missing = join(dir, "absent.json");
    expect(refusal(() => loadConfiguredEnv({}, { HOLDFAST_CONFIG_FILE: missing })).message).toBe(`config file ${missing} does not exist`);
  });

  it("refuses an unknown key by name, suggesting the setting it was probably meant to be", () => {
    const typo = file(JSON.stringify({ prot: 9000 }));
    expect(refusal(() => readConfigFile(typo)).message).toBe(`${typo}: unknown setting "prot" (did you mean "port"?); the settings are listed in docs/deployment.md`);
    const variable = file(JSON.stringify({ HOLDFAST_SPOOL_DIR: "/x" }));
    expect(refusal(() => readConfigFile(variable)).message).toContain(`unknown setting "HOLDFAST_SPOOL_DIR" (did you mean "spoolDir"?)`);
    const nothingNear = file(JSON.stringify({ colour: "blue" }));
    expect(refusal(() => readConfigFile(nothingNear)).message).toBe(`${nothingNear}: unknown setting "colour"; the settings are listed in docs/deployment.md`);
  });

  it("refuses an invalid value naming the key and the file, and a value from the environment naming its variable", () => {
    const path = file(JSON.stringify({ port: 70000 }));
    expect(refusal(() => loadConfiguredEnv({ config: path }, {})).message).toMatch(new RegExp(`^Invalid configuration: port in ${path}: .*65535`));
    expect(refusal(() => loadConfiguredEnv({ config: path }, { HOLDFAST_PORT: "eighty" })).message).toMatch(/^Invalid configuration: HOLDFAST_PORT \(port\): /);
    const nested = file(JSON.stringify({ trustedProxies: ["10.0.0.0/8"] }));
    expect(refusal(() => readConfigFile(nested)).message).toBe(`${nested}: trustedProxies must be a string, a number or a boolean`);
  });

  it("refuses text that is not JSON with the line and column of the mistake", () => {
    const path = file('{\n  "port": 9000,\n  "host": "0.0.0.0",\n}\n');
    expect(refusal(() => readConfigFile(path)).message).toMatch(new RegExp(`^${path} is not valid JSON: line 4, column 1: `));
    const array = file("[]");
    expect(refusal(() => readConfigFile(array)).message).toContain("must hold one JSON object");
  });

  it("refuses a file holding a secret that others may read, saying what to run; without a secret 0644 is fine", () => {
    const secret = file(JSON.stringify({ masterKey: MASTER_KEY, port: 9000 }), 0o640);
    const err = refusal(() => readConfigFile(secret));
    expect(err.message).toBe(`${secret} holds secrets (masterKey) and other users may read it (mode 640): run chmod 600 ${secret} (and chown it to the user holdfast runs as)`);
    expect(err.message).not.toContain(MASTER_KEY);

    const password = file(JSON.stringify({ databaseUrl: "postgres://holdfast:s3cret@db/holdfast" }), 0o644);
    expect(refusal(() => readConfigFile(password)).message).toContain("holds secrets (databaseUrl)");

    const noPassword = file(JSON.stringify({ databaseUrl: "postgres://holdfast@db/holdfast", port: 9000 }), 0o644);
    expect(loadConfiguredEnv({ config: noPassword }, {})).toMatchObject({ databaseUrl: "postgres://holdfast@db/holdfast", port: 9000 });

    chmodSync(secret, 0o600);
    expect(loadConfiguredEnv({ config: secret }, {}).masterKey).toBe(MASTER_KEY);
  });
});
