import fs from "node:fs";
import path from "node:path";
import type { Access } from "./allow-path-dropin.js";

/** Who the agent runs as: its uid and every group it holds. */
export interface Account {
  uid: number;
  gids: ReadonlySet<number>;
}

/** /etc/passwd and /etc/group are small; a bigger one is not read whole. */
const MAX_DB_BYTES = 4 * 1024 * 1024;

function readDb(file: string): string[][] {
  const st = fs.statSync(file);
  if (st.size > MAX_DB_BYTES) throw new Error(`${file} is larger than ${MAX_DB_BYTES} bytes`);
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":"));
}

/** The account `user` has in `etcDir` (its primary group and every group listing it), or null. */
export function readAccount(user: string, etcDir = "/etc"): Account | null {
  const entry = readDb(path.join(etcDir, "passwd")).find((f) => f[0] === user);
  if (!entry) return null;
  const gids = new Set([Number(entry[3])]);
  for (const g of readDb(path.join(etcDir, "group"))) {
    if ((g[3] ?? "").split(",").includes(user)) gids.add(Number(g[2]));
  }
  return { uid: Number(entry[2]), gids };
}

/** The name of group `gid` in `etcDir`, or null. */
export function groupName(gid: number, etcDir = "/etc"): string | null {
  return readDb(path.join(etcDir, "group")).find((g) => Number(g[2]) === gid)?.[0] ?? null;
}

/** The permission bits `access` needs on `p` itself (a folder is entered and listed; a file read or written). */
function needed(st: fs.Stats, access: Access): number {
  if (st.isDirectory()) return access === "write" ? 0o3 : 0o5;
  return access === "write" ? 0o2 : 0o4;
}

export interface GroupPlan {
  /** Groups the account lacks whose permission bits would grant the access. */
  gids: number[];
  /** Paths neither its owner, group nor other bits open to the account (an ACL may still). */
  blocked: string[];
}

/**
 * What the account lacks to `access` `p`: for `p` and each folder above it (which it must enter),
 * the group to add when the group bits grant what the owner and other bits do not. ACLs are not read.
 */
export function groupsFor(p: string, access: Access, account: Account, stat: (p: string) => fs.Stats = fs.statSync): GroupPlan {
  const gids = new Set<number>();
  const blocked: string[] = [];
  const chain: Array<{ at: string; bits: (st: fs.Stats) => number }> = [{ at: p, bits: (st) => needed(st, access) }];
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    chain.push({ at: dir, bits: () => 0o1 });
    if (dir === "/") break;
  }
  for (const { at, bits } of chain) {
    let st: fs.Stats;
    try {
      st = stat(at);
    } catch {
      continue;
    }
    const want = bits(st);
    const mode = st.mode & 0o777;
    const has = (shift: number) => ((mode >> shift) & want) === want;
    if (account.uid === 0) continue;
    if (st.uid === account.uid) {
      if (!has(6)) blocked.push(at);
      continue;
    }
    if (account.gids.has(st.gid) ? has(3) : false) continue;
    if (has(0)) continue;
    if (has(3)) gids.add(st.gid);
    else blocked.push(at);
  }
  return { gids: [...gids], blocked };
}
