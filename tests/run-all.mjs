#!/usr/bin/env node
// `npm test`: every suite of every package, then the end-to-end suites, and one closing line
// "N passed, N failed" for people and CI alike. Unit suites run side by side; the end-to-end suites
// start real processes and servers, so they run after, with vitest's own parallelism.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const reports = mkdtempSync(path.join(tmpdir(), "holdfast-test-"));
const vitest = path.join(root, "node_modules/vitest/vitest.mjs");

function runSuite(workspace) {
  const out = path.join(reports, `${workspace.replaceAll("/", "_")}.json`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], {
      cwd: path.join(root, workspace),
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, FORCE_COLOR: process.env.CI ? "0" : process.env.FORCE_COLOR },
    });
    child.on("close", (code) => {
      let passed = 0;
      let failed = 0;
      if (existsSync(out)) {
        const r = JSON.parse(readFileSync(out, "utf8"));
        passed = r.numPassedTests;
        // A file that fails to load has no tests, and a failing beforeAll skips its tests: count
        // both as failures so they cannot hide.
        const failedFiles = (r.testResults ?? []).filter((t) => t.status === "failed");
        const unrun = failedFiles.reduce((n, t) => n + Math.max(1, t.assertionResults.filter((a) => a.status !== "passed" && a.status !== "failed").length), 0);
        failed = r.numFailedTests + (r.numFailedTests === 0 ? unrun : failedFiles.filter((t) => t.assertionResults.every((a) => a.status !== "failed")).length);
      }
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ workspace, passed, failed });
    });
  });
}

const only = process.argv.slice(2);
const units = ["shared", "agent", "control-plane"].filter((w) => only.length === 0 || only.includes(w));
const results = await Promise.all(units.map(runSuite));
if (only.length === 0 || only.includes("tests")) results.push(await runSuite("tests"));

for (const r of results) console.log(`${r.workspace}: ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
