import type { Command } from "commander";

/** `holdfast completion …`: to be built (issue 15). */
export function registerCompletionCommands(program: Command): void {
  void program;
}
