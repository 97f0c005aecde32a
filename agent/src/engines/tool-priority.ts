import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import type { ToolPriority } from "@holdfast/shared/protocol";

export type { ToolPriority };

/**
 * The priority of the run being executed. The run sets it once (`withToolPriority`) and every tool
 * started on its behalf picks it up in spawn-tool.ts, whichever engine, codec or drill starts it: no
 * engine has to pass it along, and no tool of the run can be forgotten.
 */
const runPriority = new AsyncLocalStorage<ToolPriority>();

export function withToolPriority<T>(priority: ToolPriority | undefined, fn: () => T): T {
  return priority ? runPriority.run(priority, fn) : fn();
}

export function currentToolPriority(): ToolPriority | undefined {
  return runPriority.getStore();
}

function isLowered(p: ToolPriority): boolean {
  return (p.nice ?? 0) > 0 || p.ioClass !== undefined || p.ioLevel !== undefined;
}

/** The datasource's own priority replaces the agent's defaults as a whole (an idle class never inherits a level). */
export function effectivePriority(datasource: ToolPriority | undefined, agentDefault: ToolPriority | undefined): ToolPriority | undefined {
  const p = datasource ?? agentDefault;
  return p && isLowered(p) ? p : undefined;
}

/** The agent's defaults (HOLDFAST_TOOL_NICE, _IO_CLASS, _IO_LEVEL), or undefined when none is set. */
export function agentDefaultPriority(limits: { toolNice?: number | undefined; toolIoClass?: "best-effort" | "idle" | undefined; toolIoLevel?: number | undefined }): ToolPriority | undefined {
  const p: ToolPriority = {
    ...(limits.toolNice !== undefined ? { nice: limits.toolNice } : {}),
    ...(limits.toolIoClass !== undefined ? { ioClass: limits.toolIoClass } : {}),
    ...(limits.toolIoLevel !== undefined ? { ioLevel: limits.toolIoLevel } : {}),
  };
  return Object.keys(p).length ? p : undefined;
}

/** `/usr/bin/ionice`-style absolute path of a program on PATH, or null. */
export function findOnPath(name: string, pathVar: string | undefined): string | null {
  if (name.includes("/")) return isExecutable(name) ? name : null;
  for (const dir of (pathVar ?? "").split(":")) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The tool's command line under `ionice` and `nice`, which set the priority and then exec the tool
 * in the same process: everything it forks or threads later (pg_dump -j's workers, zstd -T0's
 * threads) inherits it, which setting it from outside after the start could miss. Argument arrays
 * only. A tool that cannot be found is left unwrapped, so its start fails ENOENT and reports
 * TOOL_NOT_FOUND as without a priority (a wrapper would exit 127 instead).
 */
export function prioritizedCommand(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, priority: ToolPriority): { bin: string; args: string[] } {
  let command = [bin, ...args];
  if (!findOnPath(bin, env.PATH)) return { bin, args: [...args] };
  const nice = (priority.nice ?? 0) > 0 ? findOnPath("nice", env.PATH) : null;
  if (nice) command = [nice, "-n", String(priority.nice), ...command];
  const ionice = wantsIoClass(priority) ? findOnPath("ionice", env.PATH) : null;
  // No -t: a kernel that refuses the class fails the start loudly rather than running unthrottled unseen.
  if (ionice) command = [ionice, ...(priority.ioClass === "idle" ? ["-c", "3"] : ["-c", "2", "-n", String(priority.ioLevel ?? 4)]), ...command];
  return { bin: command[0]!, args: command.slice(1) };
}

const wantsIoClass = (p: ToolPriority) => p.ioClass !== undefined || p.ioLevel !== undefined;

/** The wrappers a priority needs that this host lacks (`["ionice"]`): the run's log says what was not applied. */
export function missingPriorityTools(priority: ToolPriority, pathVar: string | undefined): string[] {
  const missing: string[] = [];
  if ((priority.nice ?? 0) > 0 && !findOnPath("nice", pathVar)) missing.push("nice");
  if (wantsIoClass(priority) && !findOnPath("ionice", pathVar)) missing.push("ionice");
  return missing;
}

/**
 * With the kernel's autogroups on (`sched_autogroup_enabled`), CPU time is shared between sessions
 * first and by niceness only inside one; each tool starts its own session (spawned detached, so
 * killTree reaches what it forks), so its niceness alone would weigh nothing against the database's
 * session. Its session's group gets the same niceness through /proc/PID/autogroup. Unprivileged
 * writes are rate-limited by the kernel (EAGAIN within 100 ms of the last): retried a few times.
 */
export function lowerAutogroup(pid: number, nice: number, attempts = 5): void {
  if (nice <= 0 || !autogroupsEnabled()) return;
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN" && attempts > 1) setTimeout(() => lowerAutogroup(pid, nice, attempts - 1), 110).unref();
    // ENOENT/ESRCH: the tool already exited; EPERM: a kernel that does not allow it. Nothing to do.
  }
}

let autogroups: boolean | undefined;
export function autogroupsEnabled(): boolean {
  if (autogroups === undefined) {
    try {
      autogroups = fs.readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1";
    } catch {
      autogroups = false;
    }
  }
  return autogroups;
}
