import type { Command } from "commander";

/** `holdfast cleanup …`: to be built (issue 15). */
export function registerCleanupCommands(program: Command): void {
  void program;
}
