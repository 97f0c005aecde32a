import fs from "node:fs";
import { probeWritable } from "../fs-safe.js";
import type { Finding } from "./finding.js";

/**
 * A directory the agent keeps private (its data dir, its staging root): a real directory, owned by
 * this user, mode 0700, writable. Only looks: the agent itself tightens modes at start, doctor does not.
 */
export async function checkPrivateDir(check: string, label: string, dir: string, opts: { missingIsOk?: string } = {}): Promise<Finding[]> {
  let st: fs.Stats;
  try {
    st = await fs.promises.lstat(dir);
  } catch {
    if (opts.missingIsOk) return [{ check, status: "ok", summary: `${label} ${dir} does not exist yet: ${opts.missingIsOk}` }];
    return [{ check, status: "fail", summary: `${label} ${dir} does not exist`, fix: `check --data-dir / HOLDFAST_DATA_DIR, or enroll this host (holdfast-agent enroll)` }];
  }
  if (st.isSymbolicLink() || !st.isDirectory()) {
    return [{ check, status: "fail", summary: `${label} ${dir} is not a directory (or is a symlink)`, fix: `move it aside; the agent creates ${dir} itself` }];
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    return [{ check, status: "fail", summary: `${label} ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid})`, fix: `run doctor as the agent's user (sudo -u holdfast holdfast-agent doctor), or chown ${uid} ${dir}` }];
  }
  const findings: Finding[] = [];
  const mode = st.mode & 0o777;
  if (mode !== 0o700) {
    findings.push({
      check,
      status: "warn",
      summary: `${label} ${dir} has mode 0${mode.toString(8)}: others may read what the agent keeps there`,
      fix: `chmod 0700 ${dir}`,
    });
  }
  if (!(await probeWritable(dir))) {
    findings.push({ check, status: "fail", summary: `${label} ${dir} is not writable by this user`, fix: `chmod u+w ${dir} (and check the unit's ReadWritePaths=)` });
  }
  if (findings.length === 0) findings.push({ check, status: "ok", summary: `${label} ${dir}: owned by this user, 0700, writable` });
  return findings;
}
