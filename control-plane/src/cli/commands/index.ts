import type { Command } from "commander";
import { registerLoginCommands } from "./login.js";
import { registerAgentsCommands } from "./agents.js";
import { registerEnrollTokensCommands } from "./enroll-tokens.js";
import { registerDatasourcesCommands } from "./datasources.js";
import { registerDestinationsCommands } from "./destinations.js";
import { registerSchedulesCommands } from "./schedules.js";
import { registerBackupCommands } from "./backup.js";
import { registerRunsCommands } from "./runs.js";
import { registerRestoreCommands } from "./restore.js";
import { registerKeysCommands } from "./keys.js";
import { registerCatalogueCommands } from "./catalogue.js";
import { registerCleanupCommands } from "./cleanup.js";
import { registerCompletionCommands } from "./completion.js";

/** Every command that talks to a control plane over its REST API, in the order `--help` lists them. */
export function registerRemoteCommands(program: Command): void {
  registerLoginCommands(program);
  registerAgentsCommands(program);
  registerEnrollTokensCommands(program);
  registerDatasourcesCommands(program);
  registerDestinationsCommands(program);
  registerSchedulesCommands(program);
  registerBackupCommands(program);
  registerRunsCommands(program);
  registerRestoreCommands(program);
  registerKeysCommands(program);
  registerCatalogueCommands(program);
  registerCleanupCommands(program);
  registerCompletionCommands(program);
}
