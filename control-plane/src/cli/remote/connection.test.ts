import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CliError } from "./cli-error.js";
import { configPath, readConfig, resolveConnection, writeConfig } from "./connection.js";
import { EXIT } from "./exit-codes.js";

const TOKEN = (c: string) => `hf_api_${c.repeat(30)}`;

describe("the remote connection", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "holdfast-conn-"));
    file = join(dir, "holdfast", "cli.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the config file at $HOLDFAST_CONFIG, else under $XDG_CONFIG_HOME, else ~/.config", () => {
    expect(configPath({ HOLDFAST_CONFIG: "/x/y.json", XDG_CONFIG_HOME: "/xdg" })).toBe("/x/y.json");
    expect(configPath({ XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/holdfast/cli.json");
    expect(configPath({})).toMatch(/\/\.config\/holdfast\/cli\.json$/);
  });

  it("takes each of server and token from the flags, then the environment, then the file", () => {
    writeConfig(file, { server: "http://file.example", token: TOKEN("f") });
    const env = { HOLDFAST_CONFIG: file };
    expect(resolveConnection({}, env)).toEqual({ server: "http://file.example", token: TOKEN("f") });
    expect(resolveConnection({}, { ...env, HOLDFAST_SERVER: "http://env.example/", HOLDFAST_TOKEN: TOKEN("e") })).toEqual({ server: "http://env.example", token: TOKEN("e") });
    // Mixed: a script's token against the logged-in server.
    expect(resolveConnection({}, { ...env, HOLDFAST_TOKEN: TOKEN("e") })).toEqual({ server: "http://file.example", token: TOKEN("e") });
    expect(resolveConnection({ server: "https://flag.example", token: TOKEN("t") }, { ...env, HOLDFAST_SERVER: "http://env.example", HOLDFAST_TOKEN: TOKEN("e") })).toEqual({ server: "https://flag.example", token: TOKEN("t") });
  });

  it("writes the file 0600 in a 0700 folder, and refuses one others may read", () => {
    writeConfig(file, { server: "http://file.example", token: TOKEN("f"), tokenId: "tok_1" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "holdfast")).mode & 0o777).toBe(0o700);
    expect(readConfig(file)).toEqual({ server: "http://file.example", token: TOKEN("f"), tokenId: "tok_1" });
    chmodSync(file, 0o644);
    const refused = (() => {
      try {
        readConfig(file);
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(CliError);
    expect(refused).toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining(`chmod 600 ${file}`) });
  });

  it("says how to connect when nothing is set (exit 5), and refuses a server that is not an http(s) URL (exit 2)", () => {
    expect(() => resolveConnection({}, { HOLDFAST_CONFIG: file })).toThrow(expect.objectContaining({ exitCode: EXIT.unreachable, message: expect.stringContaining("holdfast login") }));
    expect(() => resolveConnection({ server: "ftp://x", token: TOKEN("t") }, {})).toThrow(expect.objectContaining({ exitCode: EXIT.usage }));
  });
});
