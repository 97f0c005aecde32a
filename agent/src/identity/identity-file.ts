import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { HoldfastError, TlsPin } from "@holdfast/shared/protocol";

export const IDENTITY_FILE = "identity.json";

export const AgentIdentity = z.object({
  agentId: z.string().min(1),
  keyId: z.string().min(1),
  name: z.string(),
  serverUrl: z.url(),
  /**
   * `sha256:<base64>` of SubjectPublicKeyInfos the control plane's TLS chain must contain one of
   * (enroll --ca-pin, and pins the control plane pushes before a key change). Empty: the system CAs.
   */
  pins: z.array(TlsPin).default([]),
  /** Enrolled with --insecure: plain ws:// to a non-loopback control plane is allowed (logged at every start). */
  insecure: z.boolean().default(false),
});
export type AgentIdentity = z.infer<typeof AgentIdentity>;

export function hasIdentity(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, IDENTITY_FILE));
}

/** Written after the control plane accepted the key; temp name + rename so a crash never leaves half a file. */
export async function writeIdentity(dataDir: string, identity: AgentIdentity): Promise<void> {
  const file = path.join(dataDir, IDENTITY_FILE);
  const tmp = `${file}.tmp`;
  await fs.promises.rm(tmp, { force: true });
  const handle = await fs.promises.open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(identity, null, 2)}\n`, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
}

export async function readIdentity(dataDir: string): Promise<AgentIdentity> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dataDir, IDENTITY_FILE), "utf8");
  } catch {
    throw new HoldfastError("PRECONDITION_FAILED", `This agent is not enrolled: no ${IDENTITY_FILE} in ${dataDir}`, { dataDir });
  }
  return AgentIdentity.parse(JSON.parse(text));
}
