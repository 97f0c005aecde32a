import type { Command } from "commander";

/** `holdfast schedules …`: to be built (issue 15). */
export function registerSchedulesCommands(program: Command): void {
  void program;
}
