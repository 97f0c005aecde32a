import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { HoldfastError } from "@holdfast/shared/protocol";
import { type Access, dropInFor, pathWarnings, SYSTEMD_UNIT_DIR, validateAllowedPath } from "./allow-path-dropin.js";
import { groupName, groupsFor, readAccount } from "./path-groups.js";

const run = promisify(execFile);

/** Runs systemctl with an argument array; bounded in time and output; a failure says which call and why, on one line. */
export async function runSystemctl(args: string[]): Promise<void> {
  try {
    await run("systemctl", args, { timeout: 120_000, maxBuffer: 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.stderr?.trim().split("\n")[0] || e.code || e.message;
    throw new Error(`systemctl ${args.join(" ")} failed: ${why}; the drop-in is written, run the command again once systemd can`);
  }
}

export interface AllowPathOptions {
  path: string;
  access: Access;
  /** Restart the agent once systemd reloaded (false: `--no-restart`). */
  restart: boolean;
  /** Where unit files live; tests point this into a temp dir. */
  unitDir?: string;
  /** Where passwd and group are read from. */
  etcDir?: string;
  /** The agent's system user. */
  user?: string;
  systemctl?: (args: string[]) => Promise<void>;
}

export interface AllowPathResult {
  file: string;
  text: string;
  groups: string[];
  warnings: string[];
  /** The systemctl calls made, in order. */
  ran: string[][];
}

/** Writes `text` to `file` (0644: systemd and `systemctl cat` read it) through a temp file and a rename. */
function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fchmodSync(fd, 0o644);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/**
 * `holdfast-agent allow-path`: the drop-in that opens `path` to the hardened agent, with the groups
 * whose permission bits grant the access and that the agent's user lacks; then `systemctl
 * daemon-reload` and a restart of the agent. Run as root (the caller checks).
 */
export async function allowPath(opts: AllowPathOptions): Promise<AllowPathResult> {
  const p = validateAllowedPath(opts.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const fix = opts.access === "write" ? ` create it first (mkdir -p ${p} && chown holdfast: ${p}) and run this again` : " check the path";
    throw new HoldfastError("VALIDATION_FAILED", `${p} cannot be found (${code}): systemd would refuse to start the agent with it;${fix}`, { path: p, cause: code });
  }
  const user = opts.user ?? "holdfast";
  const etcDir = opts.etcDir ?? "/etc";
  const account = readAccount(user, etcDir);
  if (!account) throw new HoldfastError("VALIDATION_FAILED", `There is no user ${user} on this host: install the agent first`, { user });
  const warnings = pathWarnings(p, opts.access);
  const plan = groupsFor(p, opts.access, account);
  const groups: string[] = [];
  for (const gid of plan.gids) {
    const name = groupName(gid, etcDir);
    // systemd takes a user or group name as one plain word; anything else is added by hand.
    if (name && /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(name)) groups.push(name);
    else warnings.push(`Group ${name ?? gid} would grant access to ${p}, but its name cannot go in SupplementaryGroups=: add ${user} to it yourself`);
  }
  for (const blocked of plan.blocked) {
    warnings.push(`${user} cannot ${blocked === p ? opts.access : "enter"} ${blocked} by its permissions either (unless an ACL allows it): e.g. setfacl -m u:${user}:${blocked === p ? (opts.access === "write" ? "rwX" : "rX") : "x"} ${blocked}`);
  }
  if (opts.access === "write" && !st.isDirectory()) warnings.push(`${p} is a file: a SQLite restore writes a new file beside it and renames it, so allow its folder (${path.dirname(p)}) instead`);
  const dropIn = dropInFor(p, opts.access, groups, opts.unitDir ?? SYSTEMD_UNIT_DIR);
  writeAtomically(dropIn.file, dropIn.text);
  const systemctl = opts.systemctl ?? runSystemctl;
  const ran: string[][] = [["daemon-reload"], ...(opts.restart ? [["restart", "holdfast-agent.service"]] : [])];
  for (const args of ran) await systemctl(args);
  return { file: dropIn.file, text: dropIn.text, groups, warnings, ran };
}
