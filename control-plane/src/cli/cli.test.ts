import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/index.js";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** Runs the real CLI from source in a child process, to its end. */
function cli(args: string[], input = "", env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ["--conditions=@holdfast/source", "--import", "tsx", MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 30_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("holdfast CLI", () => {
  it.each(["--version", "-V"])("%s prints the package's version on stdout and exits 0", (flag) => {
    const r = cli([flag]);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("refuses an unknown option with a message and a non-zero exit", () => {
    const r = cli(["--frobnicate"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it("api-token create names the token (--name, or a default), caps its role (--role), and prints only the secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "holdfast-cli-"));
    try {
      expect(cli(["user", "create", "--email", "ops@example.com", "--role", "operator", "--password-stdin", "--data-dir", dir], "a long enough password\n").code).toBe(0);
      const named = cli(["api-token", "create", "--email", "ops@example.com", "--name", "grafana", "--role", "viewer", "--data-dir", dir]);
      expect(named.code).toBe(0);
      expect(named.stdout).toMatch(/^hf_api_[\w-]{43}\n$/);
      expect(named.stderr).toContain('"grafana" for ops@example.com, acting as viewer');
      const unnamed = cli(["api-token", "create", "--email", "ops@example.com", "--data-dir", dir]);
      expect(unnamed.code).toBe(0);
      const tooHigh = cli(["api-token", "create", "--email", "ops@example.com", "--role", "admin", "--data-dir", dir]);
      expect(tooHigh).toMatchObject({ code: 1, stdout: "" });
      expect(tooHigh.stderr).toMatch(/^holdfast: .*at most the operator role \(the user's role\), not admin \(API_TOKEN_ROLE_TOO_HIGH\)\n$/);

      const database = await openDatabase({ databaseUrl: undefined, sqlitePath: join(dir, "holdfast.db") });
      const rows = await database.db.select().from(database.t.apiTokens);
      await database.close();
      expect(rows.map((r) => [r.name, r.role, r.tokenPrefix])).toEqual([
        ["grafana", "viewer", named.stdout.slice(0, 11)],
        [expect.stringMatching(/^cli \d{4}-\d\d-\d\d \d\d:\d\d$/), "operator", unnamed.stdout.slice(0, 11)],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrate, token create and serve read the config file (--config or HOLDFAST_CONFIG_FILE); an unknown key stops them naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "holdfast-cli-config-"));
    try {
      const dataDir = join(dir, "state");
      const config = join(dir, "holdfast.json");
      writeFileSync(config, JSON.stringify({ dataDir }), { mode: 0o600 });
      const migrated = cli(["migrate", "--config", config]);
      expect(migrated).toMatchObject({ code: 0, stderr: "holdfast: database is up to date\n" });
      expect(existsSync(join(dataDir, "holdfast.db"))).toBe(true);
      const token = cli(["token", "create"], "", { HOLDFAST_CONFIG_FILE: config });
      expect(token.code).toBe(0);
      expect(token.stdout).toMatch(/^hf_enr_/);

      writeFileSync(config, JSON.stringify({ dataDir, listenPort: 9000 }));
      const refused = cli(["serve", "--config", config]);
      expect(refused).toMatchObject({ code: 1, stdout: "" });
      expect(refused.stderr).toBe(`holdfast: ${config}: unknown setting "listenPort"; the settings are listed in docs/deployment.md (VALIDATION_FAILED)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serve listens where its config file says, and says which file it read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "holdfast-cli-serve-"));
    const config = join(dir, "holdfast.json");
    // Port 0: the system picks a free one, and the listening line names it.
    writeFileSync(config, JSON.stringify({ dataDir: join(dir, "state"), host: "127.0.0.1", port: 0, logLevel: "warn" }), { mode: 0o600 });
    const child = spawn(process.execPath, ["--conditions=@holdfast/source", "--import", "tsx", MAIN, "serve", "--config", config], { env: { PATH: process.env.PATH }, stdio: ["ignore", "ignore", "pipe"] });
    try {
      let stderr = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d;
          const listening = /holdfast listening on (http:\/\/\S+)/.exec(stderr);
          if (listening) resolve(listening[1]!);
        });
        child.on("exit", () => reject(new Error(`serve exited:\n${stderr}`)));
      });
      expect(stderr).toContain(`holdfast: settings from ${config} (variables and flags win over it)`);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(existsSync(join(dir, "state", "holdfast.db"))).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
