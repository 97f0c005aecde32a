import type { Command } from "commander";
import { registerRunsStoredCommands } from "./runs-stored.js";

/** `holdfast runs …`: list, show, logs, events, cancel, wait, download (to be built, issue 15). */
export function registerRunsCommands(program: Command): void {
  const runs = program.command("runs").description("backup and restore runs: list, follow, download, validate, copy");
  // `runs validate` and `runs copy` treat a stored backup as objects at its destinations.
  registerRunsStoredCommands(runs);
}
