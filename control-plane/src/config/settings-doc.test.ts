import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadEnv } from "../env.js";
import { readConfigFile } from "./config-file.js";
import { renderSettingsTable, SETTINGS_BEGIN, SETTINGS_END } from "./settings-doc.js";

const PAGE = readFileSync(new URL("../../../docs/deployment.md", import.meta.url), "utf8");
const dir = mkdtempSync(join(tmpdir(), "holdfast-settings-doc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("docs/deployment.md", () => {
  it("lists the settings of env.ts as they are (regenerate: npm run docs:settings --workspace control-plane)", () => {
    const section = PAGE.slice(PAGE.indexOf(SETTINGS_BEGIN), PAGE.indexOf(SETTINGS_END) + SETTINGS_END.length);
    expect(section).toBe(renderSettingsTable());
  });

  it("shows an example config file the control plane accepts as it is", () => {
    const example = /## The config file[\s\S]*?```json\n([\s\S]*?)```/.exec(PAGE)?.[1];
    expect(example).toBeDefined();
    const path = join(dir, "holdfast.json");
    writeFileSync(path, example!);
    chmodSync(path, 0o600);
    const env = loadEnv({}, {}, readConfigFile(path));
    expect(env).toMatchObject({ dataDir: "/var/lib/holdfast", port: 8443, tls: { certFile: "/etc/holdfast/tls/fullchain.pem" }, notifyStrictAddresses: true });
  });
});
