import type { Command } from "commander";

/** `holdfast destinations …`: to be built (issue 15). */
export function registerDestinationsCommands(program: Command): void {
  void program;
}
