import { spawn, type ChildProcess, type ChildProcessByStdio } from "node:child_process";
import type { Duplex, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared/protocol";
import { currentToolPriority, lowerAutogroup, prioritizedCommand } from "./tool-priority.js";

const STDERR_TAIL_BYTES = 8 * 1024;

export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

export interface ToolProcess {
  child: ChildProcess & { stderr: Readable };
  /** Null when the tool writes straight into another process (`stdoutTo`). */
  stdout: Readable | null;
  /** Resolves when the process has exited and stderr is drained; rejects TOOL_NOT_FOUND if the binary is missing. */
  exited: Promise<ToolExit>;
}

/**
 * The whole environment a tool gets: PATH, the C locale in UTF-8 (so the tools' own messages are the
 * English ones the engines' failure classifiers read), and what the engine adds (PGPASSFILE...).
 * Nothing of the agent's own (tokens, HOLDFAST_*), no HOME (MySQL's tools would read ~/.my.cnf after
 * our options file), none of the clients' own variables (MYSQL_PWD, PGHOST...).
 */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8", ...extra };
}

/**
 * Spawns a tool with an argument array and no shell (nothing is ever parsed by sh), stdin closed,
 * and only the environment given. Keeps the last 8 KiB of stderr for error reports. `stdoutTo`, the
 * stdin of another child (a codec) or an open file's descriptor, becomes the tool's stdout itself: the bytes go process to
 * process as in a shell pipe, without passing through the agent (docs/decisions.md, "Dump into the codec").
 */
export function spawnTool(tool: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv): ToolProcess & { stdout: Readable };
export function spawnTool(tool: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv, stdoutTo: Writable | number | undefined): ToolProcess;
export function spawnTool(tool: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv, stdoutTo?: Writable | number): ToolProcess {
  const child = startTool(bin, args, env, ["ignore", stdoutTo ?? "pipe", "pipe"]);
  return { child: child as ChildProcess & { stderr: Readable }, stdout: child.stdout, exited: watchExit(tool, child as ChildProcess & { stderr: Readable }) };
}

export interface FilterProcess {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  stdin: Writable;
  stdout: Readable;
  exited: Promise<ToolExit>;
}

/** Like spawnTool, with stdin open: a tool in the middle of a stream (zstd, psql fed a dump). */
export function spawnFilter(tool: string, bin: string, args: readonly string[], env: NodeJS.ProcessEnv): FilterProcess {
  const child = startTool(bin, args, env, ["pipe", "pipe", "pipe"]) as ChildProcessByStdio<Writable, Readable, Readable>;
  return { child, stdin: child.stdin, stdout: child.stdout, exited: watchExit(tool, child) };
}

/**
 * A tool in a chain of children (pipeline/codec-chain.ts): its stdin and stdout are each a descriptor
 * (an OS pipe's end, os-pipe.ts), the stdin of the next child, or a pipe to the agent ("pipe").
 */
export function spawnChainedTool(
  tool: string,
  bin: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin: number | "pipe",
  stdout: number | Writable | "pipe",
): { child: ChildProcess; stdin: Writable | null; stdout: Readable | null; exited: Promise<ToolExit> } {
  const child = startTool(bin, args, env, [stdin, stdout, "pipe"]);
  return { child, stdin: child.stdin, stdout: child.stdout, exited: watchExit(tool, child as ChildProcess & { stderr: Readable }) };
}

type Stdio = "pipe" | "ignore" | number | Writable;

/**
 * Every tool starts here: no shell, detached (the tool leads its own process group, so killTree()
 * reaches whatever it starts too), at the run's priority when it has one (tool-priority.ts).
 */
function startTool(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, stdio: [Stdio, Stdio, Stdio]): ChildProcess {
  const priority = currentToolPriority();
  const command = priority ? prioritizedCommand(bin, args, env, priority) : { bin, args };
  const child = spawn(command.bin, command.args, { shell: false, env, stdio, windowsHide: true, detached: true });
  if (priority?.nice && child.pid !== undefined) lowerAutogroup(child.pid, priority.nice);
  return child;
}

/** The exit, with the last 8 KiB of stderr; TOOL_NOT_FOUND when the binary is missing. */
function watchExit(tool: string, child: ChildProcess & { stderr: Readable }): Promise<ToolExit> {
  let tail = Buffer.alloc(0);
  child.stderr.on("data", (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
  });
  return new Promise<ToolExit>((resolve, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") reject(new HoldfastError("TOOL_NOT_FOUND", `${tool} is not installed or not on PATH`, { tool }));
      else reject(new HoldfastError("INTERNAL_ERROR", `Could not start ${tool}: ${err.code ?? "error"}`, { tool }));
    });
    child.once("close", (code, signal) => resolve({ code, signal, stderrTail: tail.toString("utf8") }));
  });
}

/** Removes every secret (and anything shaped like `password=...`) from tool output before it is stored or logged. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join("********");
  }
  return out.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, "$1********");
}

/** What a tool wrote on stderr, redacted, one entry a line: the warnings of a run that succeeded. */
export function stderrLines(exit: ToolExit, secrets: readonly (string | undefined)[]): string[] {
  return redactSecrets(exit.stderrTail, secrets)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Runs `input` (through `stages`) into a filter tool whose output nobody reads (a client fed SQL)
 * and resolves with its exit. A stream that fails part way kills the tool before its stdin closes,
 * so it never runs the half statement it was reading, and that failure is thrown.
 */
export async function feedTool(tool: FilterProcess, input: Readable, ...stages: Duplex[]): Promise<ToolExit> {
  tool.stdout.resume();
  tool.stdin.on("error", () => {});
  const fed = pipeline([input, ...stages, tool.stdin]).then(
    () => null,
    (err: unknown) => {
      killTree(tool.child);
      return err;
    },
  );
  const [feedError, exit] = await Promise.all([fed, tool.exited]);
  if (feedError) throw feedError;
  return exit;
}

/** SIGTERM to the tool's whole process group (it was spawned detached); false if it already exited. */
export function killTree(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
  try {
    process.kill(-child.pid, "SIGTERM");
    return true;
  } catch {
    return child.kill("SIGTERM");
  }
}
