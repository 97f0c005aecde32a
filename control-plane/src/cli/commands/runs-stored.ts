import type { Command } from "commander";

/** `holdfast runs validate|copy`: to be built (issue 15). */
export function registerRunsStoredCommands(runs: Command): void {
  void runs;
}
