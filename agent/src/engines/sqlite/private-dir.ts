import fs from "node:fs";
import path from "node:path";

/** A fresh 0700 directory under `parent` (mkdtemp: unguessable name, created exclusively). */
export async function makePrivateDir(parent: string, prefix: string): Promise<string> {
  await fs.promises.mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await fs.promises.mkdtemp(path.join(parent, prefix));
  await fs.promises.chmod(dir, 0o700);
  return dir;
}
