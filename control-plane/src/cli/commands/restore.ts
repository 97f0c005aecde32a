import type { Command } from "commander";

/** `holdfast restore …`: to be built (issue 15). */
export function registerRestoreCommands(program: Command): void {
  void program;
}
