import type { Command } from "commander";

/** `holdfast datasources …`: to be built (issue 15). */
export function registerDatasourcesCommands(program: Command): void {
  void program;
}
