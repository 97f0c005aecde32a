import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../testing/helpers.js";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Runs the real CLI from source in a child process. */
function cli(args: string[], env: Record<string, string> = {}, onSpawn?: (child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=@holdfast/source", "--import", "tsx", MAIN, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    onSpawn?.(child);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("holdfast-agent CLI", () => {
  const tmp = makeTempDir("cli");
  let url: string;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
    if (req.url === "/agent/v1/enroll" && body.token === "hf_enr_GOODGOODGOODGOOD") {
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ agentId: "agt_cli", keyId: "kid", name: "n" }));
    } else if (req.url === "/agent/v1/enroll") {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "ENROLLMENT_TOKEN_INVALID", message: "Unknown, used or expired enrollment token", retryable: false } }));
    } else {
      res.writeHead(404).end();
    }
  });

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.each(["--version", "-V"])("%s prints the package's version on stdout and exits 0", async (flag) => {
    const { version } = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(await cli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("enroll prints only the agent id on stdout, taking the token from the environment", async () => {
    const dataDir = path.join(tmp, "ok");
    const r = await cli(["enroll", "--server", url, "--data-dir", dataDir], { HOLDFAST_ENROLL_TOKEN: "hf_enr_GOODGOODGOODGOOD" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("agt_cli\n");
    expect(fs.existsSync(path.join(dataDir, "identity.json"))).toBe(true);

    const again = await cli(["enroll", "--server", url, "--data-dir", dataDir], { HOLDFAST_ENROLL_TOKEN: "hf_enr_GOODGOODGOODGOOD" });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain("already holds");
  });

  it("enroll with a refused token exits 1 with one clear line and no stack trace", async () => {
    const tokenFile = path.join(tmp, "token");
    fs.writeFileSync(tokenFile, "hf_enr_BADBADBADBADBADBAD\n");
    const r = await cli(["enroll", "--server", url, "--token-file", tokenFile, "--data-dir", path.join(tmp, "bad")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("holdfast-agent: Unknown, used or expired enrollment token [ENROLLMENT_TOKEN_INVALID]\n");
    // The data dir it would have created is not left behind (no stray agent.key).
    expect(fs.readdirSync(tmp).sort()).toEqual(["ok", "token"]);
  });

  /** `run` until the agent logged its first connection attempt's outcome, then SIGTERM; its log lines. */
  async function runOnce(dataDir: string) {
    const r = await cli(["run", "--data-dir", dataDir], { HOLDFAST_LOG_LEVEL: "info", TMPDIR: tmp }, (child) => {
      let sent = false;
      child.stderr!.on("data", (d: Buffer) => {
        if (!sent && d.toString().includes("link")) {
          sent = true;
          child.kill("SIGTERM");
        }
      });
    });
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { level: number; msg: string; loosened?: { path: string }[] });
    return { code: r.code, lines };
  }

  it("run stops cleanly on SIGTERM with exit 0", async () => {
    const dataDir = path.join(tmp, "ok");
    const r = await runOnce(dataDir);
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l.msg)).toContain("stopping");
    expect(fs.existsSync(path.join(dataDir, "agent.db"))).toBe(true);
  });

  it("run warns once when the data dir or its files were opened to others, and tightens them", async () => {
    const dataDir = path.join(tmp, "ok");
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, "agent.db"), 0o644);
    fs.chmodSync(path.join(dataDir, "agent.key"), 0o644);
    const opened = (lines: { msg: string; loosened?: { path: string }[] }[]) => lines.filter((l) => l.msg.startsWith("the data dir or files in it were open to other users"));

    const first = await runOnce(dataDir);
    expect(first.code).toBe(0);
    const warnings = opened(first.lines);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40 });
    expect(warnings[0]!.loosened!.map((e) => path.relative(dataDir, e.path)).sort()).toEqual(["", "agent.db", "agent.key"]);
    const mode = (name: string) => (fs.statSync(path.join(dataDir, name)).mode & 0o777).toString(8);
    expect([mode(""), mode("agent.db"), mode("agent.key"), mode("identity.json")]).toEqual(["700", "600", "600", "600"]);

    const second = await runOnce(dataDir);
    expect(opened(second.lines)).toEqual([]);
  });
  it("restore and verify: a usage mistake exits 2, a missing sidecar exits 1 with one line", async () => {
    const missingFlag = await cli(["verify"]);
    expect(missingFlag.code).toBe(2);
    expect(missingFlag.stderr).toContain("--from <path>");
    const neither = await cli(["restore", "--from", path.join(tmp, "x.sql.gz")]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("give exactly one of --to <config> and --datasource <id>");
    const none = await cli(["verify", "--from", path.join(tmp, "x.sql.gz.part0001")]);
    expect(none).toMatchObject({ code: 1, stdout: "" });
    expect(none.stderr).toBe(`holdfast-agent: No sidecar at ${path.join(tmp, "x.sql.gz.json")} (ENOENT): copy the artifact's .json beside it; without it nothing can be checked [ARTIFACT_NOT_FOUND]\n`);
  });

  describe("the config file and allow-path", () => {
    const configDir = path.join(tmp, "config");

    /** Writes agent.json (0600 unless `mode`) holding `content`; its path. */
    function config(name: string, content: object, mode = 0o600): string {
      fs.mkdirSync(configDir, { recursive: true });
      const file = path.join(configDir, name);
      fs.writeFileSync(file, JSON.stringify(content), { mode });
      fs.chmodSync(file, mode);
      return file;
    }

    it("run connects to the config file's server instead of the enrolled one", async () => {
      const upgrades: string[] = [];
      const other = http.createServer((_req, res) => res.end());
      other.on("upgrade", (req, socket) => {
        upgrades.push(req.url ?? "");
        socket.destroy();
      });
      await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
      try {
        const file = config("moved.json", { dataDir: path.join(tmp, "ok"), server: `http://127.0.0.1:${(other.address() as AddressInfo).port}` });
        const r = await cli(["run", "--config", file], { TMPDIR: tmp }, (child) => {
          child.stderr!.on("data", (d: Buffer) => {
            if (d.toString().includes("link")) child.kill("SIGTERM");
          });
        });
        expect(r.code).toBe(0);
        expect(upgrades.length).toBeGreaterThan(0);
        expect(upgrades[0]).toMatch(/^\/agent\/v1\//);
      } finally {
        other.close();
      }
    });

    it("run refuses a config file others may read, or an unknown key, with exit 78 (no restart loop)", async () => {
      const open = config("open.json", { dataDir: path.join(tmp, "ok") }, 0o644);
      const r = await cli(["run"], { HOLDFAST_AGENT_CONFIG: open });
      expect(r).toMatchObject({ code: 78, stdout: "" });
      expect(r.stderr).toBe(`holdfast-agent: The agent's config file ${open} is open to other users (mode 0644): run chmod 600 ${open} [VALIDATION_FAILED]\n`);
      const typo = config("typo.json", { dataDir: path.join(tmp, "ok"), heartbeatMS: 1000 });
      const t = await cli(["run", "--config", typo]);
      expect(t.code).toBe(78);
      expect(t.stderr).toContain('Unrecognized key: "heartbeatMS"');
    });

    it("allow-path refuses a relative path with one line, and writes nothing", async () => {
      const r = await cli(["allow-path", "data/app.db"]);
      expect(r).toMatchObject({ code: 1, stdout: "" });
      // As root the path is checked; as anyone else the command stops before that.
      expect(r.stderr).toMatch(process.getuid?.() === 0 ? /The path must be absolute: data\/app\.db \[VALIDATION_FAILED\]/ : /run it as root/);
    });
  });
});
