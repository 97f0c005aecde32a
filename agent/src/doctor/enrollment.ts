import fs from "node:fs";
import path from "node:path";
import { AgentIdentity, IDENTITY_FILE } from "../identity/identity-file.js";
import { PRIVATE_KEY_FILE } from "../identity/keys.js";
import type { Finding } from "./finding.js";

/** The identity (or null when unreadable) and what doctor found about it and the key file. */
export async function checkEnrollment(dataDir: string): Promise<{ identity: AgentIdentity | null; findings: Finding[] }> {
  const check = "enrollment";
  const reenroll = "enroll this host: holdfast-agent enroll --server https://CP --ca-pin sha256:… (token in HOLDFAST_ENROLL_TOKEN)";
  let identity: AgentIdentity;
  try {
    identity = AgentIdentity.parse(JSON.parse(await fs.promises.readFile(path.join(dataDir, IDENTITY_FILE), "utf8")));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    return {
      identity: null,
      findings: [{ check, status: "fail", summary: missing ? `not enrolled: no ${IDENTITY_FILE} in ${dataDir}` : `${IDENTITY_FILE} in ${dataDir} is unreadable or invalid`, fix: reenroll }],
    };
  }
  const findings: Finding[] = [{ check, status: "ok", summary: `enrolled as ${identity.name} (${identity.agentId}) with ${identity.serverUrl}` }];
  for (const [file, what] of [
    [PRIVATE_KEY_FILE, "private key"],
    [IDENTITY_FILE, "identity"],
  ] as const) {
    const full = path.join(dataDir, file);
    let st: fs.Stats;
    try {
      st = await fs.promises.lstat(full);
    } catch {
      findings.push({ check, status: "fail", summary: `the ${what} file ${full} is missing`, fix: reenroll });
      continue;
    }
    const mode = st.mode & 0o777;
    if (!st.isFile()) findings.push({ check, status: "fail", summary: `${full} is not a regular file`, fix: reenroll });
    else if (mode !== 0o600) findings.push({ check, status: file === PRIVATE_KEY_FILE ? "fail" : "warn", summary: `the ${what} file ${full} has mode 0${mode.toString(8)}`, fix: `chmod 0600 ${full}` });
  }
  return { identity, findings };
}
