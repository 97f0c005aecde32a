import type { Command } from "commander";

/** `holdfast catalogue …`: to be built (issue 15). */
export function registerCatalogueCommands(program: Command): void {
  void program;
}
