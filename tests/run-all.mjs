#!/usr/bin/env node
// `npm test`: type-checks every package with its tests, runs every suite of every package, then the
// end-to-end suites, the fault suite's CI subset (HOLDFAST_FAULT_PROFILE=ci) and the browser suites,
// and prints one closing line "N passed, N failed, N skipped" for people and CI alike. Type-checking and unit suites run side by side; the end-to-end
// and browser suites start real processes and servers, so they run after, one after the other, each
// with vitest's own bounded parallelism. A package whose typecheck fails counts as one failure:
// vitest strips types, so a wrong type would otherwise pass unnoticed.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const reports = mkdtempSync(path.join(tmpdir(), "holdfast-test-"));
const vitest = path.join(root, "node_modules/vitest/vitest.mjs");
const npmCli = process.env.npm_execpath;

/** Runs the workspace's `typecheck` script (tsc over its sources, tests and test helpers); prints tsc's output only when it fails. */
function typecheck(workspace) {
  const [cmd, args] = npmCli ? [process.execPath, [npmCli, "run", "--silent", "typecheck"]] : ["npm", ["run", "--silent", "typecheck"]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: path.join(root, workspace), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.on("error", (err) => resolve({ workspace, ok: false, errors: 0, output: String(err) }));
    child.on("close", (code) => {
      const errors = output.split("\n").filter((l) => / error TS\d+:/.test(l)).length;
      resolve({ workspace, ok: code === 0, errors, output });
    });
  });
}

/** Counts one vitest JSON report. A file that fails to load has no tests, and a failing beforeAll skips its tests: both count as failures so they cannot hide. */
function countReport(report) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for (const file of report.testResults ?? []) {
    const name = path.relative(root, file.name);
    for (const a of file.assertionResults.filter((a) => a.status === "failed")) failures.push(`${name} > ${a.fullName}\n    ${firstLines(a.failureMessages?.join("\n"))}`);
    if (file.status === "failed" && !file.assertionResults.some((a) => a.status === "failed")) failures.push(`${name}\n    ${firstLines(file.message)}`);
    const statuses = file.assertionResults.map((a) => a.status);
    const filePassed = statuses.filter((s) => s === "passed").length;
    const fileFailed = statuses.filter((s) => s === "failed").length;
    const unrun = statuses.length - filePassed - fileFailed;
    passed += filePassed;
    if (file.status === "failed" && fileFailed === 0) failed += Math.max(1, unrun);
    else {
      failed += fileFailed;
      skipped += unrun;
    }
  }
  return { passed, failed, skipped, failures };
}

/** The first lines of a failure message, so the closing list says what broke without the whole stack. */
function firstLines(message = "", n = 4) {
  return message.split("\n").slice(0, n).join("\n    ");
}

/** Runs a workspace's vitest suite (its default config, or `config`), reported under `label`, with `env` added. */
function runSuite(workspace, { config, label = workspace, env = {} } = {}) {
  const out = path.join(reports, `${label.replaceAll("/", "_")}.json`);
  return new Promise((resolve) => {
    const args = [vitest, "run", ...(config ? ["--config", config] : []), "--reporter=default", "--reporter=json", `--outputFile.json=${out}`];
    const child = spawn(process.execPath, args, {
      cwd: path.join(root, workspace),
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, FORCE_COLOR: process.env.CI ? "0" : process.env.FORCE_COLOR, ...env },
    });
    child.on("close", (code) => {
      const counts = existsSync(out) ? countReport(JSON.parse(readFileSync(out, "utf8"))) : { passed: 0, failed: 0, skipped: 0, failures: [] };
      if (code !== 0 && counts.failed === 0) counts.failed = 1;
      resolve({ workspace: label, ...counts });
    });
  });
}

const only = process.argv.slice(2);
const selected = (w) => only.length === 0 || only.includes(w);
const units = ["shared", "agent", "control-plane", "web"].filter(selected);
const checked = [...units, ...(selected("tests") || selected("tests/browser") || selected("tests/faults") ? ["tests"] : [])];

/**
 * The agent package the install suites need takes ~3 minutes to build (mostly compiling
 * better-sqlite3): built at low priority beside the unit suites, the end-to-end phase finds it ready.
 * Its output is shown only when it fails; the suites then build it again and fail on their own.
 */
function prebuildAgentPackage() {
  const tsx = path.join(root, "node_modules/tsx/dist/cli.mjs");
  const child = spawn(process.execPath, [tsx, path.join(root, "tests/support/prebuild-agent-package.ts")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  try {
    setPriority(child.pid, 15);
  } catch {
    // Not allowed to lower it: it just competes at normal priority.
  }
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  return new Promise((resolve) => child.on("close", (code) => resolve(code === 0 ? output.trim() : `agent package prebuild failed (${code}):\n${output}`)));
}
const prebuilt = selected("tests") ? prebuildAgentPackage() : Promise.resolve("");

const [checks, results] = await Promise.all([Promise.all(checked.map(typecheck)), Promise.all(units.map((w) => runSuite(w)))]);
if (selected("tests")) {
  console.log(await prebuilt);
  results.push(await runSuite("tests"));
}
// The fault suite's CI subset (tests/faults, docs/reliability.md): each scenario twice, about 3 minutes.
if (selected("tests") || selected("tests/faults")) results.push(await runSuite("tests", { config: "vitest.faults.config.ts", label: "tests/faults", env: { HOLDFAST_FAULT_PROFILE: "ci" } }));
// The console in Chromium against the built control plane (tests/vitest.browser.config.ts).
if (selected("tests") || selected("tests/browser")) results.push(await runSuite("tests", { config: "vitest.browser.config.ts", label: "tests/browser" }));
// A failed typecheck is one failure of its package, so the package lines add up to the total.
for (const c of checks.filter((c) => !c.ok)) results.find((r) => r.workspace === c.workspace || r.workspace.startsWith(`${c.workspace}/`)).failed += 1;

for (const c of checks.filter((c) => !c.ok)) process.stdout.write(`\n${c.workspace}: typecheck failed\n${c.output.trimEnd()}\n`);

// The failed tests by name near the end, where a CI log's tail is read.
for (const r of results) for (const f of r.failures) process.stdout.write(`\nFAILED ${r.workspace}: ${f}\n`);

for (const c of checks) console.log(`${c.workspace} typecheck: ${c.ok ? "ok" : `failed${c.errors ? ` (${c.errors} type error${c.errors === 1 ? "" : "s"})` : ""}`}`);
for (const r of results) console.log(`${r.workspace}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
