import type { Command } from "commander";

/** `holdfast login …`: to be built (issue 15). */
export function registerLoginCommands(program: Command): void {
  void program;
}
