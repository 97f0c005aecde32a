import path from "node:path";
import { HoldfastError, type ErrorCode } from "@holdfast/shared";
import { redactSecrets, spawnTool, type ToolExit } from "../spawn-tool.js";
import { yamlQuote } from "./config-file.js";

/** A minimal environment: nothing of the agent's own reaches the tools. */
export function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
}

/** The tool's stderr without the password, raw or as the config file spells it. */
export function redacted(text: string, password: string | undefined): string {
  return redactSecrets(text, password ? [password, yamlQuote(password).slice(1, -1)] : []);
}

/** A failed tool as a catalog error, with its exit and redacted stderr in the details. */
export function failure(code: ErrorCode, what: string, exit: ToolExit, password: string | undefined): HoldfastError {
  const why = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
  return new HoldfastError(code, `${what} ${why}`, { exitCode: exit.code, signal: exit.signal, stderr: redacted(exit.stderrTail.trim(), password) });
}

/** The tool's stderr, redacted, one entry a line (warnings of a run that succeeded). */
export function lines(exit: ToolExit, password: string | undefined): string[] {
  return redacted(exit.stderrTail, password)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The tool's `--version` first line, or null when it is not installed (or does not answer). */
export async function versionLine(bin: string): Promise<string | null> {
  let out = "";
  try {
    const tool = spawnTool(path.basename(bin), bin, ["--version"], childEnv());
    tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exit = await tool.exited;
    return exit.code === 0 && out.trim() !== "" ? out.trim().split("\n")[0]! : null;
  } catch {
    return null;
  }
}
