import type { Command } from "commander";

/** `holdfast runs …`: to be built (issue 15). */
export function registerRunsCommands(program: Command): void {
  void program;
}
