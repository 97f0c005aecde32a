import fs from "node:fs";
import path from "node:path";
import { certificatePin, certificatesOfPem, makeKey, makeSelfSigned } from "@holdfast/shared/node";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { AGENT_BIN, type Api, createAdmin, HOLDFAST_BIN, ManagedProcess, runCli, tempDir, waitFor, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { httpsRequest, startTlsControlPlane, type TlsControlPlane, tlsApi } from "../support/tls-control-plane.js";

const pinOf = (certFile: string) => certificatePin(certificatesOfPem(fs.readFileSync(certFile, "utf8"))[0]!);
const AGENT_ENV = { HOLDFAST_RECONNECT_BASE_MS: "200", HOLDFAST_RECONNECT_CAP_MS: "1000" };

/**
 * `holdfast serve` with its own certificate (self-signed, made here) and a real agent enrolled with
 * the pin the enrollment answer printed: the agent trusts nothing else, sends nothing to a server
 * that does not match, and follows a renewal to a new key announced over the link beforehand.
 */
describe("TLS served by the control plane, agents pinned to it", () => {
  let dir: string;
  let cp: TlsControlPlane;
  let client: Api;
  let pin: string;
  let source: ScratchDatabase;
  let agent: ManagedProcess | undefined;
  let agentDir: string;
  let agentId: string;

  beforeAll(async () => {
    dir = tempDir("tls");
    const { certFile, keyFile } = makeSelfSigned(dir, "cp");
    pin = pinOf(certFile);
    // The served files live at fixed paths the renewal overwrites, as certbot's would.
    const served = { certFile: path.join(dir, "served.crt"), keyFile: path.join(dir, "served.key") };
    fs.copyFileSync(certFile, served.certFile);
    fs.copyFileSync(keyFile, served.keyFile);
    cp = await startTlsControlPlane({ ...served, ca: fs.readFileSync(certFile) });
    client = tlsApi(cp, await createAdmin(cp));
    source = await createScratchDatabase("hf_tls");
    const sql = postgres(source.url, { max: 1, onnotice: () => {} });
    await sql`CREATE TABLE pinned (id int PRIMARY KEY, note text)`;
    await sql`INSERT INTO pinned SELECT g, 'row ' || g FROM generate_series(1, 500) g`;
    await sql.end();
  });

  afterAll(async () => {
    await agent?.stop();
    await cp?.process.stop();
    await source?.drop();
  });

  it("refuses to start on an unreadable certificate, naming the file in one line", async () => {
    const missing = path.join(dir, "no-such.crt");
    const res = await runCli(HOLDFAST_BIN, ["serve", "--port", "0", "--tls-cert", missing, "--tls-key", cp.env.HOLDFAST_TLS_KEY!], { env: { HOLDFAST_DATA_DIR: tempDir("cp-bad") } });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual([expect.stringContaining(missing)]);
    // A key that is not the certificate's: the same, naming the key.
    const otherKey = makeKey(path.join(dir, "other.key"));
    const mismatch = await runCli(HOLDFAST_BIN, ["serve", "--port", "0", "--tls-cert", cp.env.HOLDFAST_TLS_CERT!, "--tls-key", otherKey], { env: { HOLDFAST_DATA_DIR: tempDir("cp-bad") } });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`HOLDFAST_TLS_KEY ${otherKey}: this key does not belong`);
  });

  it("holdfast ca-pin prints the served certificate's pin and its curl form", async () => {
    const res = await cp.cli(["ca-pin"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^leaf\\s+${pin.replace(/[+/]/g, "\\$&")}\\s+\\(curl: sha256//${pin.slice(7).replace(/[+/]/g, "\\$&")}\\)`));
  });

  it("a wrong pin is refused before the token leaves: the token stays unused and enrolls afterwards with the printed pin", async () => {
    const made = await client.post("/enrollment-tokens", { name: "pinned host", ttl: "10m" });
    expect(made.status).toBe(201);
    const { install, enroll } = made.body.commands as { install: { shell: string }; enroll: { argv: string[]; env: Record<string, string> } };
    // The console's one-liner pins the download (curl checks the leaf) and the agent (the top of the chain: here the leaf).
    expect(install.shell).toContain(`--pinnedpubkey sha256//${pin.slice(7)} ${cp.url}/install/agent.sh -o install.sh && HOLDFAST_ENROLL_TOKEN=`);
    expect(install.shell).toContain(`sh install.sh --server ${cp.url} --ca-pin ${pin}`);
    expect(enroll.argv).toEqual(["holdfast-agent", "enroll", "--server", cp.url, "--ca-pin", pin, "--data-dir", "/var/lib/holdfast-agent"]);

    const wrongPin = pinOf(makeSelfSigned(dir, "impostor").certFile);
    const wrongDir = tempDir("agent-wrong");
    const refused = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--ca-pin", wrongPin, "--data-dir", wrongDir], { env: enroll.env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[TLS_PIN_MISMATCH]");
    expect(refused.stderr).toContain(wrongPin);
    expect(refused.stderr).toContain(pin);
    expect(fs.existsSync(path.join(wrongDir, "identity.json"))).toBe(false);
    // The server never saw the token: it is still pending.
    const pending = await client.get("/enrollment-tokens");
    expect(pending.body.items.map((t: { id: string }) => t.id)).toContain(made.body.id);

    agentDir = tempDir("agent-tls");
    const argv = enroll.argv.slice(1).map((arg, i, all) => (all[i - 1] === "--data-dir" ? agentDir : arg));
    const enrolled = await runCli(AGENT_BIN, argv, { env: enroll.env });
    expect(enrolled.stderr).not.toContain("TLS_PIN_MISMATCH");
    expect(enrolled.code).toBe(0);
    agentId = enrolled.stdout.trim();
    const identity = JSON.parse(fs.readFileSync(path.join(agentDir, "identity.json"), "utf8"));
    expect(identity).toMatchObject({ pins: [pin], insecure: false, serverUrl: cp.url });
    expect(fs.statSync(path.join(agentDir, "identity.json")).mode & 0o777).toBe(0o600);
  });

  it("the pinned agent comes online over TLS and a PostgreSQL backup uploads and is delivered", async () => {
    agent = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", agentDir], AGENT_ENV);
    await waitForAgentStatus(client, agentId, "online");
    expect((await client.get(`/agents/${agentId}`)).body).toMatchObject({ status: "online", linkSecurity: "tls" });

    const ds = await client.post("/datasources", {
      agentId,
      name: "pinned",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(ds.status).toBe(201);
    const folder = tempDir("tls-dest");
    const dest = await client.post("/destinations", { name: "local", type: "local", config: { path: folder } });
    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dest.body.id] });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed" || d.state === "failed")));
    expect(run).toMatchObject({ state: "completed", error: null });
    expect(run.deliveries).toEqual([expect.objectContaining({ state: "completed" })]);
    expect(fs.statSync(run.deliveries[0].path).size).toBeGreaterThan(0);
  });

  it("a renewal with the announced next key strands no agent: pin pushed, SIGHUP swaps the certificate, the agent reconnects", async () => {
    const nextKey = makeKey(path.join(dir, "next.key"));
    // 1. The operator announces the next key; agents learn its pin over the link they trust.
    await cp.restart({ HOLDFAST_TLS_NEXT_KEY: nextKey });
    await waitForAgentStatus(client, agentId, "online");
    const renewed = makeSelfSigned(dir, "cp-renewed", nextKey);
    const nextPin = pinOf(renewed.certFile);
    await waitFor("the agent's identity.json to hold the next pin", () => {
      const identity = JSON.parse(fs.readFileSync(path.join(agentDir, "identity.json"), "utf8"));
      return identity.pins.includes(nextPin) ? identity : undefined;
    });
    const identity = JSON.parse(fs.readFileSync(path.join(agentDir, "identity.json"), "utf8"));
    expect(identity.pins).toEqual([pin, nextPin]);
    expect(fs.statSync(path.join(agentDir, "identity.json")).mode & 0o777).toBe(0o600);

    // 2. The certificate is renewed with that key in place, and SIGHUP takes it without a restart.
    fs.copyFileSync(renewed.certFile, cp.env.HOLDFAST_TLS_CERT!);
    fs.copyFileSync(nextKey, cp.env.HOLDFAST_TLS_KEY!);
    cp.process.child.kill("SIGHUP");
    const newCa = fs.readFileSync(renewed.certFile);
    const served = await waitFor("the renewed certificate to be served", async () => {
      const res = await httpsRequest(`${cp.url}/healthz`, newCa).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    });
    expect(served.peer.fingerprint256).toBe(certificatesOfPem(newCa.toString())[0]!.fingerprint256);
    cp.ca = newCa;

    // 3. The agent's next connection meets only the new certificate, and trusts it.
    await cp.restart();
    await waitForAgentStatus(client, agentId, "online");
    expect(agent?.output).not.toContain("TLS_PIN_MISMATCH");
  });

  it("plain http:// to another host is refused without --insecure, before any connection", async () => {
    const res = await runCli(AGENT_BIN, ["enroll", "--server", "http://192.0.2.10:8080", "--data-dir", tempDir("agent-plain")], { env: { HOLDFAST_ENROLL_TOKEN: "hf_enr_doesnotmatter" } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("[INSECURE_TRANSPORT]");
  });
});
