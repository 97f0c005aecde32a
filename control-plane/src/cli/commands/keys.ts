import type { Command } from "commander";

/** `holdfast keys …`: to be built (issue 15). */
export function registerKeysCommands(program: Command): void {
  void program;
}
