import path from "node:path";
import { HoldfastError } from "@holdfast/shared/protocol";
import { spawnTool, toolEnv } from "./spawn-tool.js";

/** The major version in a tool's `--version` line: `pg_dump (PostgreSQL) 16.4 (Debian …)` → 16. */
export function parseToolMajor(versionLine: string | null): number | null {
  if (!versionLine) return null;
  const afterName = versionLine.includes(")") ? versionLine.slice(versionLine.indexOf(")") + 1) : versionLine;
  const m = /(\d+)(?:\.\d+)*/.exec(afterName);
  return m ? Number(m[1]) : null;
}

/** `server_version_num` → major: 160004 → 16, 90624 → 9. */
export function serverMajorOf(versionNum: number | null | undefined): number | null {
  return typeof versionNum === "number" && versionNum > 0 ? Math.floor(versionNum / 10_000) : null;
}

/** What a tool prints for `args` (its `--version`, its `--help`) when it exits 0, or null when it is not installed, fails or says nothing. */
export async function toolOutput(bin: string, args: readonly string[]): Promise<string | null> {
  let out = "";
  try {
    const tool = spawnTool(path.basename(bin), bin, args, toolEnv());
    tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exit = await tool.exited;
    return exit.code === 0 && out.trim() !== "" ? out : null;
  } catch {
    return null;
  }
}

/** The first line of the tool's `--version`, or null when it is not installed (or does not answer). */
export async function toolVersionLine(bin: string): Promise<string | null> {
  return (await toolOutput(bin, ["--version"]))?.trim().split("\n")[0] ?? null;
}

/** The tool's version line, or TOOL_NOT_FOUND naming it: for tools that must be there before anything starts. */
export async function requireToolVersion(bin: string): Promise<string> {
  const version = await toolVersionLine(bin);
  if (version === null) throw new HoldfastError("TOOL_NOT_FOUND", `${path.basename(bin)} is not installed or not on PATH`, { tool: path.basename(bin) });
  return version;
}
