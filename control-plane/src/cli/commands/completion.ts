import type { Command } from "commander";
import tab from "@bomb.sh/tab/commander";

/**
 * `holdfast completion bash|zsh|fish|powershell` prints the shell's completion script; the script
 * asks `holdfast complete -- <words>` (hidden) at each Tab. @bomb.sh/tab reads the commands and
 * options from the program itself, so this is registered last, once every command exists.
 */
export function registerCompletionCommands(program: Command): void {
  tab(program, { completionCommandName: "completion" });
  program.commands
    .find((c) => c.name() === "completion")
    ?.description("print the shell completion script: source <(holdfast completion bash) (or zsh, fish, powershell)");
}
