import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../support/processes.js";

// install/agent.sh runs on hosts with only a POSIX sh (dash on Debian): shellcheck in sh mode finds
// bashisms and quoting mistakes before a user's host does. .ci/run installs shellcheck.
it("install/agent.sh is shellcheck-clean as POSIX sh", () => {
  const r = spawnSync("shellcheck", ["-s", "sh", path.join(ROOT, "install/agent.sh")], { encoding: "utf8" });
  expect(r.error).toBeUndefined();
  expect(r.stdout).toBe("");
  expect(r.status).toBe(0);
});
