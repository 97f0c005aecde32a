import type { Command } from "commander";

/** `holdfast backup …`: to be built (issue 15). */
export function registerBackupCommands(program: Command): void {
  void program;
}
