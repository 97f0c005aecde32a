import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Finding } from "./finding.js";

export const UNIT = "holdfast-agent";

function onPath(name: string, pathVar: string): string | null {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return null;
}

/** `systemctl is-active holdfast-agent` (argument array, bounded); skipped where there is no systemctl. */
export function checkUnitStatus(timeoutMs: number, pathVar: string = process.env.PATH ?? ""): Promise<Finding[]> {
  const check = "unit";
  const systemctl = onPath("systemctl", pathVar);
  if (!systemctl) return Promise.resolve([{ check, status: "skip", summary: "no systemctl on this host: the unit's status is not checked" }]);
  return new Promise((resolve) => {
    execFile(systemctl, ["is-active", UNIT], { timeout: timeoutMs, encoding: "utf8" }, (err, stdout) => {
      const state = stdout.trim().split("\n")[0] || (err ? "unknown" : "");
      if (state === "active") return resolve([{ check, status: "ok", summary: `${UNIT}.service is active` }]);
      // No systemd running (a container, a chroot): is-active cannot tell.
      if (/offline|not been booted|Failed to connect/i.test(String(err?.message ?? "")) || (state === "unknown" && !stdout))
        return resolve([{ check, status: "skip", summary: `systemd does not answer here (${state}): the unit's status is not checked` }]);
      resolve([
        {
          check,
          status: "warn",
          summary: `${UNIT}.service is ${state}`,
          fix: state === "failed" ? `see why: journalctl -u ${UNIT} -n 50; then sudo systemctl restart ${UNIT}` : `sudo systemctl enable --now ${UNIT} (if this host runs the agent as a service)`,
        },
      ]);
    });
  });
}
