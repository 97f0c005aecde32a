import { execFileSync } from "node:child_process";
import fs from "node:fs";

/** A process's niceness: field 19 of /proc/PID/stat (after the command name, which may hold spaces). */
export function niceOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** `idle`, `best-effort: prio 7`, `none: prio 4`: the kernel's ioprio of the process, as util-linux prints it. */
export function ioClassOf(pid: number): string {
  return execFileSync("ionice", ["-p", String(pid)], { encoding: "utf8" }).trim();
}

export function autogroupNiceOf(pid: number): number {
  return Number(/nice (-?\d+)/.exec(fs.readFileSync(`/proc/${pid}/autogroup`, "utf8"))![1]);
}
