import type { Command } from "commander";
import { HoldfastError } from "@holdfast/shared/protocol";

/**
 * `holdfast-agent allow-path PATH [--write]`: lets the hardened unit read (or, with --write, write) a
 * path outside its own, by a drop-in in /etc/systemd/system/holdfast-agent.service.d/. Thin: the
 * text, the checks and the groups live in host/allow-path*.ts and host/path-groups.ts.
 */
export function addAllowPathCommand(program: Command, fail: (err: unknown) => never): void {
  program
    .command("allow-path")
    .description("Let the hardened agent unit read PATH (a SQLite file's folder, a folder to back up), or write it with --write (a restore target); run as root.")
    .argument("<path>", "absolute path of the file or folder")
    .option("--write", "allow writing (restores), not only reading", false)
    .option("--no-restart", "write the drop-in and reload systemd, but do not restart the agent")
    .action(async (target: string, opts: { write: boolean; restart: boolean }) => {
      try {
        if (process.getuid?.() !== 0) {
          throw new HoldfastError("FORBIDDEN", "allow-path writes a systemd drop-in and reloads systemd: run it as root (sudo holdfast-agent allow-path ...)");
        }
        // Loaded here: `run` never needs it (less idle memory).
        const { allowPath } = await import("../host/allow-path.js");
        const result = await allowPath({ path: target, access: opts.write ? "write" : "read", restart: opts.restart });
        for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
        process.stderr.write(`Wrote ${result.file}:\n${result.text}`);
        process.stderr.write(result.ran.length > 1 ? "Reloaded systemd and restarted holdfast-agent.\n" : "Reloaded systemd; restart the agent to apply it: systemctl restart holdfast-agent\n");
        process.stdout.write(`${result.file}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
