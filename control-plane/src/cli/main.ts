import { Command } from "commander";
import { VERSION } from "../version.js";
import { registerRemoteCommands } from "./commands/index.js";
import { registerLocalCommands } from "./local/commands.js";
import { registerSelfBackupCommands } from "./local/self-backup-commands.js";
import { addCaPinCommand } from "./local/ca-pin-command.js";
import { addConnectionOptions } from "./remote/remote-command.js";

/**
 * `holdfast`: the control plane's own administration (serve, migrate, first users and tokens, on its
 * data dir) and, with an API token, every operation of the console over the REST API
 * (docs/cli.md).
 */
const program = new Command("holdfast")
  .description("Holdfast: run the control plane (serve), or operate one over its API with a token (holdfast login).")
  .version(VERSION, "-V, --version", "print the version")
  .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
  // A usage error (unknown option, missing argument) exits 2, as docs/cli.md promises.
  .exitOverride((err) => process.exit(err.exitCode === 1 ? 2 : err.exitCode));

addConnectionOptions(program);
registerLocalCommands(program);
registerSelfBackupCommands(program);
addCaPinCommand(program);
registerRemoteCommands(program);

await program.parseAsync(process.argv);
