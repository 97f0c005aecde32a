import { createHash } from "node:crypto";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared/protocol";

/** The agent's unit, as install/agent.sh names it. */
export const AGENT_UNIT = "holdfast-agent.service";
export const SYSTEMD_UNIT_DIR = "/etc/systemd/system";

/** Folders ProtectHome= hides from the agent: only a bind mount brings a path under them back. */
const HIDDEN_PREFIXES = ["/home", "/root", "/run/user"];
/** PrivateTmp= gives the agent its own /tmp and /var/tmp: the host's files there are out of reach. */
const PRIVATE_PREFIXES = ["/tmp", "/var/tmp"];
/** Allowed, with a warning: the agent writing there could change its own settings or state. */
const SENSITIVE_PREFIXES = ["/etc", "/var/lib/holdfast-agent", "/opt/holdfast-agent"];

export type Access = "read" | "write";

const under = (p: string, prefixes: readonly string[]) => prefixes.some((dir) => p === dir || p.startsWith(`${dir}/`));

/** True when ProtectHome= is what hides `p` from the agent. */
export function isHiddenByProtectHome(p: string): boolean {
  return under(p, HIDDEN_PREFIXES);
}

/**
 * An absolute, normalised path systemd will read back exactly, or VALIDATION_FAILED saying why.
 * Control characters (a newline would end the setting and start another) are refused outright;
 * quotes, backslashes, spaces and `%` are escaped by quoteForUnit instead.
 */
export function validateAllowedPath(input: string): string {
  if (/[\u0000-\u001f\u007f]/.test(input)) throw new HoldfastError("VALIDATION_FAILED", "The path holds a control character (a newline, a tab...): systemd cannot take it", { path: JSON.stringify(input) });
  if (!path.posix.isAbsolute(input)) throw new HoldfastError("VALIDATION_FAILED", `The path must be absolute: ${input}`, { path: input });
  const normal = path.posix.normalize(input).replace(/(.)\/+$/, "$1");
  if (normal === "/") throw new HoldfastError("VALIDATION_FAILED", "Allowing / would undo the unit's file-system protection: name the file or folder the datasource uses");
  if (under(normal, PRIVATE_PREFIXES)) {
    throw new HoldfastError("VALIDATION_FAILED", `${normal} is in /tmp or /var/tmp, which the agent sees as its own private folder (PrivateTmp=): move the file or folder elsewhere`, { path: normal });
  }
  if (Buffer.byteLength(normal) > 4095) throw new HoldfastError("VALIDATION_FAILED", "The path is longer than PATH_MAX", { path: normal.slice(0, 200) });
  return normal;
}

/** Why an allowed path deserves a second look (printed, not refused). */
export function pathWarnings(p: string, access: Access): string[] {
  if (!under(p, SENSITIVE_PREFIXES)) return [];
  return [`${p} holds system or Holdfast settings; ${access === "write" ? "letting the agent write there" : "letting the agent read it"} is rarely what a datasource needs`];
}

/**
 * A path as one word of a unit file setting: double-quoted, with `\` and `"` backslash-escaped
 * (systemd unquotes these settings) and `%` doubled (it expands specifiers such as %h after unquoting).
 */
export function quoteForUnit(p: string): string {
  return `"${p.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, "%%")}"`;
}

/** `allow-<readable part>-<8 hex of the path's SHA-256>.conf`: one file per path, never two paths in one. */
export function dropInName(p: string): string {
  const readable = p.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80) || "root";
  const hash = createHash("sha256").update(p).digest("hex").slice(0, 8);
  return `allow-${readable}-${hash}.conf`;
}

export interface DropIn {
  /** Absolute path of the drop-in file. */
  file: string;
  text: string;
  /** The `[Service]` lines alone (for a one-line message). */
  directives: string[];
}

/**
 * The drop-in that lets the hardened agent read (backups) or write (restores) `p`. Outside the hidden
 * homes, ProtectSystem=strict already lets it read: ReadOnlyPaths= only records the intent, and
 * SupplementaryGroups= (when the path's group grants the access) is what opens it. Under /home,
 * /root and /run/user, ProtectHome=tmpfs keeps the other homes hidden while the bind mount brings
 * this one path back (systemd.exec documents that pairing; ProtectHome=yes leaves no mount point).
 */
export function dropInFor(p: string, access: Access, groups: readonly string[] = [], unitDir = SYSTEMD_UNIT_DIR): DropIn {
  const word = quoteForUnit(p);
  const directives = isHiddenByProtectHome(p)
    ? ["ProtectHome=tmpfs", `${access === "write" ? "BindPaths" : "BindReadOnlyPaths"}=${word}`]
    : [`${access === "write" ? "ReadWritePaths" : "ReadOnlyPaths"}=${word}`];
  if (groups.length > 0) directives.push(`SupplementaryGroups=${groups.join(" ")}`);
  const text = [
    `# Written by \`holdfast-agent allow-path ${p}${access === "write" ? " --write" : ""}\`: lets the agent ${access} this path.`,
    "[Service]",
    ...directives,
    "",
  ].join("\n");
  return { file: path.join(unitDir, `${AGENT_UNIT}.d`, dropInName(p)), text, directives };
}

/** The shell lines a person runs after writing the drop-in by hand. */
export const RELOAD_COMMANDS = "systemctl daemon-reload && systemctl restart holdfast-agent";
