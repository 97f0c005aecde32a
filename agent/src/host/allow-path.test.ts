import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { allowPath } from "./allow-path.js";
import { dropInFor, dropInName, quoteForUnit, validateAllowedPath } from "./allow-path-dropin.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * A temp "host": a unit dir standing in for /etc/systemd/system, an etc dir with a holdfast user
 * (uid 4242, not in the data's group), a data folder, and a systemctl that records its calls.
 */
function host(opts: { dataMode?: number; dataGroup?: { name: string; gid: number } } = {}) {
  // Not in os.tmpdir(): allow-path refuses /tmp (the unit's /tmp is private), so the "host" lives in
  // the package's node_modules/.cache, which git ignores — or, for a checkout that is itself under
  // /tmp (CI clones there), in /var/cache/holdfast-tests (not a home folder: ProtectHome changes the answer).
  const inPrivateTmp = (p: string) => /^\/(var\/)?tmp(\/|$)/.test(p);
  const checkout = path.join(import.meta.dirname, "../../node_modules/.cache");
  const base = inPrivateTmp(checkout) ? "/var/cache/holdfast-tests/allow-path" : checkout;
  fs.mkdirSync(base, { recursive: true });
  const root = fs.mkdtempSync(path.join(base, "holdfast-allow-path-"));
  dirs.push(root);
  fs.chmodSync(root, 0o755);
  const group = opts.dataGroup ?? { name: "appdata", gid: 4343 };
  const etcDir = path.join(root, "etc");
  fs.mkdirSync(etcDir);
  fs.writeFileSync(path.join(etcDir, "passwd"), "root:x:0:0:root:/root:/bin/sh\nholdfast:x:4242:4242::/var/lib/holdfast-agent:/usr/sbin/nologin\n");
  fs.writeFileSync(path.join(etcDir, "group"), `root:x:0:\nholdfast:x:4242:\n${group.name}:x:${group.gid}:someone\n`);
  const data = path.join(root, "srv data");
  fs.mkdirSync(data);
  fs.chownSync(data, 0, group.gid);
  fs.chmodSync(data, opts.dataMode ?? 0o750);
  const calls: string[][] = [];
  const systemctl = async (args: string[]) => {
    calls.push(args);
  };
  return { root, etcDir, data, unitDir: path.join(root, "systemd"), calls, systemctl };
}

describe("holdfast-agent allow-path", () => {
  it("writes the drop-in (0644) with the group that grants access, reloads systemd and restarts the agent", async () => {
    const h = host();
    const result = await allowPath({ path: h.data, access: "read", restart: true, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl });
    expect(path.dirname(result.file)).toBe(path.join(h.unitDir, "holdfast-agent.service.d"));
    expect(path.basename(result.file)).toMatch(/^allow-.*srv-data-[0-9a-f]{8}\.conf$/);
    expect(fs.statSync(result.file).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(result.file, "utf8")).toBe(
      `# Written by \`holdfast-agent allow-path ${h.data}\`: lets the agent read this path.\n[Service]\nReadOnlyPaths="${h.data}"\nSupplementaryGroups=appdata\n`,
    );
    expect(h.calls).toEqual([["daemon-reload"], ["restart", "holdfast-agent.service"]]);
    // Nothing but the drop-in is left in the folder (the temp file was renamed).
    expect(fs.readdirSync(path.dirname(result.file))).toEqual([path.basename(result.file)]);
  });

  it("asks for no group when other users may already read it, and only reloads with --no-restart", async () => {
    const h = host({ dataMode: 0o755 });
    const result = await allowPath({ path: h.data, access: "read", restart: false, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl });
    expect(result.groups).toEqual([]);
    expect(result.text).not.toContain("SupplementaryGroups");
    expect(h.calls).toEqual([["daemon-reload"]]);
  });

  it("--write opens the folder for writing, and warns when even the group could not write it", async () => {
    const h = host({ dataMode: 0o750 });
    const result = await allowPath({ path: h.data, access: "write", restart: true, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl });
    expect(result.text).toContain(`ReadWritePaths="${h.data}"`);
    expect(result.groups).toEqual([]);
    expect(result.warnings.join("\n")).toContain(`holdfast cannot write ${h.data} by its permissions`);
  });

  it("replaces its own drop-in when run again for the same path", async () => {
    const h = host();
    const first = await allowPath({ path: h.data, access: "read", restart: true, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl });
    fs.chmodSync(h.data, 0o770);
    const second = await allowPath({ path: `${h.data}/`, access: "write", restart: true, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl });
    expect(second.file).toBe(first.file);
    expect(fs.readFileSync(second.file, "utf8")).toContain(`ReadWritePaths="${h.data}"\nSupplementaryGroups=appdata`);
  });

  it("refuses a path that does not exist, naming the mkdir for a restore target, and writes nothing", async () => {
    const h = host();
    const missing = path.join(h.data, "later");
    await expect(allowPath({ path: missing, access: "write", restart: true, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl })).rejects.toThrowError(`mkdir -p ${missing}`);
    expect(fs.existsSync(h.unitDir)).toBe(false);
    expect(h.calls).toEqual([]);
  });

  it("refuses a host without the holdfast user", async () => {
    const h = host();
    fs.writeFileSync(path.join(h.etcDir, "passwd"), "root:x:0:0::/root:/bin/sh\n");
    await expect(allowPath({ path: h.data, access: "read", restart: true, unitDir: h.unitDir, etcDir: h.etcDir, systemctl: h.systemctl })).rejects.toThrowError(/no user holdfast/);
  });
});

describe("the drop-in's path", () => {
  it("refuses relative paths, control characters, / and the private /tmp", () => {
    expect(() => validateAllowedPath("data/app.db")).toThrowError(/must be absolute/);
    expect(() => validateAllowedPath("/srv/a\nReadWritePaths=/")).toThrowError(/control character/);
    expect(() => validateAllowedPath("/srv/a\tb")).toThrowError(/control character/);
    expect(() => validateAllowedPath("/")).toThrowError(HoldfastError);
    expect(() => validateAllowedPath("/srv/..")).toThrowError(/undo/);
    expect(() => validateAllowedPath("/tmp/app.db")).toThrowError(/PrivateTmp/);
    expect(() => validateAllowedPath("/var/tmp")).toThrowError(/PrivateTmp/);
    expect(validateAllowedPath("/srv//app/./db/")).toBe("/srv/app/db");
    expect(validateAllowedPath("/tmpfiles")).toBe("/tmpfiles");
  });

  it("quotes what systemd would otherwise misread: spaces, quotes, backslashes and % specifiers", () => {
    expect(quoteForUnit("/srv/my data")).toBe('"/srv/my data"');
    expect(quoteForUnit('/srv/a"b\\c')).toBe('"/srv/a\\"b\\\\c"');
    expect(quoteForUnit("/srv/100%h")).toBe('"/srv/100%%h"');
  });

  it("brings a path under a hidden home back with a bind mount, keeping the other homes hidden", () => {
    const read = dropInFor("/home/app/db", "read", [], "/etc/systemd/system");
    expect(read.file).toBe(`/etc/systemd/system/holdfast-agent.service.d/${dropInName("/home/app/db")}`);
    expect(read.directives).toEqual(["ProtectHome=tmpfs", 'BindReadOnlyPaths="/home/app/db"']);
    expect(dropInFor("/root/dumps", "write", ["backup"]).directives).toEqual(["ProtectHome=tmpfs", 'BindPaths="/root/dumps"', "SupplementaryGroups=backup"]);
  });

  it("names one file per path", () => {
    expect(dropInName("/srv/a b")).not.toBe(dropInName("/srv/a-b"));
    expect(dropInName("/srv/a b")).toMatch(/^allow-srv-a-b-[0-9a-f]{8}\.conf$/);
  });

  it("warns for the agent's own and the system's settings", async () => {
    const { pathWarnings } = await import("./allow-path-dropin.js");
    expect(pathWarnings("/etc/ssl", "read")).toHaveLength(1);
    expect(pathWarnings("/var/lib/holdfast-agent", "write")).toHaveLength(1);
    expect(pathWarnings("/etcetera", "read")).toEqual([]);
  });
});
