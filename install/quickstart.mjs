#!/usr/bin/env node
// `npm start`: Holdfast on this machine for a first look. The control plane on its embedded SQLite,
// one local agent enrolled automatically, an admin user and a demo (quickstart-demo.mjs) on first
// start. Everything lives under ./data (or HOLDFAST_DATA_DIR); delete that folder to start over.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { enrolledAgentId, setUpDemo } from "./quickstart-demo.mjs";

const root = path.resolve(import.meta.dirname, "..");
const holdfast = path.join(root, "control-plane/bin/holdfast.js");
const holdfastAgent = path.join(root, "agent/bin/holdfast-agent.js");
// The V8 options the packaged launcher gives the agent (install/package/build-agent-package.mjs).
const agentNodeFlags = JSON.parse(readFileSync(path.join(root, "agent/bin/node-flags.json"), "utf8"));
const dataDir = path.resolve(process.env.HOLDFAST_DATA_DIR ?? path.join(root, "data"));
const agentDir = path.join(dataDir, "agent");
const logDir = path.join(dataDir, "logs");
const port = process.env.HOLDFAST_PORT ?? "8080";
const url = `http://127.0.0.1:${port}`;
const email = "admin@localhost";
const env = { ...process.env, HOLDFAST_DATA_DIR: dataDir };

function run(bin, args, { input, extraEnv } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${path.basename(bin)} ${args[0]} failed: ${err.trim()}`))));
    child.stdin.end(input ?? "");
  });
}

function daemon(bin, args, logName, nodeFlags = []) {
  const log = openSync(path.join(logDir, logName), "a");
  const child = spawn(process.execPath, [...nodeFlags, bin, ...args], { env, stdio: ["ignore", log, log] });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${logName.replace(".log", "")} stopped (${signal ?? code}); see ${path.join(logDir, logName)}`);
      shutdown(1);
    }
  });
  return child;
}

async function waitUntil(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s; see ${logDir}`);
}

let stopping = false;
const children = [];
function shutdown(code = 0) {
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.on("exit", r) : r())))).then(() => process.exit(code));
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

function portIsFree() {
  return new Promise((resolve) => {
    const probe = createServer().once("error", () => resolve(false));
    probe.listen(Number(port), "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

try {
  if (!(await portIsFree())) {
    throw new Error(`Port ${port} is already in use (another Holdfast?). Stop it, or choose another port: HOLDFAST_PORT=8081 npm start`);
  }
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const fresh = !existsSync(path.join(agentDir, "identity.json"));
  let password;
  let apiToken;
  if (fresh) {
    password = randomBytes(15).toString("base64url");
    await run(holdfast, ["migrate"]);
    await run(holdfast, ["user", "create", "--email", email, "--role", "admin", "--password-stdin"], { input: `${password}\n` });
    apiToken = await run(holdfast, ["api-token", "create", "--email", email, "--name", "quick start"]);
  }

  children.push(daemon(holdfast, ["serve", "--port", port], "control-plane.log"));
  await waitUntil("The control plane", async () => (await fetch(`${url}/healthz`)).ok);

  if (fresh) {
    const enrollToken = await run(holdfast, ["token", "create"]);
    await run(holdfastAgent, ["enroll", "--server", url, "--data-dir", agentDir, "--name", "local"], { extraEnv: { HOLDFAST_ENROLL_TOKEN: enrollToken } });
  }
  children.push(daemon(holdfastAgent, ["run", "--data-dir", agentDir], "agent.log", agentNodeFlags));

  let demo;
  let demoError;
  if (fresh) {
    demo = await setUpDemo({ url, token: apiToken, dataDir, agentId: enrolledAgentId(agentDir) }).catch((err) => {
      demoError = err instanceof Error ? err.message : String(err);
    });
  }

  const lines = [`Holdfast is running: open ${url}`, `  data:   ${dataDir} (logs in ${logDir})`];
  if (fresh) {
    lines.push(
      `  admin:  ${email}  password: ${password}   (shown only now: keep it)`,
      `  token:  ${apiToken}   (API token of ${email}, shown only now)`,
      "",
    );
    if (demo) {
      lines.push(
        "A demo is set up: a small SQLite database (demo/shop.sqlite) backed up by the local agent into",
        `demo/backups under the data dir, with a paused daily schedule. Sign in, open the datasource and press`,
        `"Back up now"; README.md ("The first-run demo") says how to remove it and add your own PostgreSQL.`,
      );
    } else {
      lines.push(`The demo could not be set up (${demoError}); Holdfast itself runs. See ${logDir}.`);
    }
    lines.push("", "List the agents from a shell:", `  curl -H "Authorization: Bearer ${apiToken}" ${url}/api/v1/agents`);
  } else {
    lines.push(
      "",
      "Existing data: the admin password and token were printed on the first start. A new token:",
      `  npx holdfast api-token create --email ${email} --data-dir ${dataDir}`,
    );
  }
  lines.push("", "Press Ctrl+C to stop.");
  console.log(lines.join("\n"));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  shutdown(1);
}
