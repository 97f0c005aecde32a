import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { exitCodeOf } from "../doctor/finding.js";
import { renderJson, renderText } from "../doctor/render.js";
import { runDoctor } from "../doctor/run-doctor.js";

/** `holdfast-agent doctor [--json] [--data-dir DIR]`: exit 0 all fine, 1 warnings, 2 failures. */
export function addDoctorCommand(program: Command, _fail: (err: unknown) => never): void {
  program
    .command("doctor")
    .description("Check this host for the agent: dump tools, data and staging dirs, free space, the control plane (DNS, TCP, TLS pin, HTTP, clock), enrollment, the unit. Exit 0 ok, 1 warnings, 2 failures.")
    .option("--json", "one JSON document on stdout, for scripts")
    .option("--data-dir <dir>", "agent data dir (default: HOLDFAST_DATA_DIR, else /var/lib/holdfast-agent)")
    .action(async (opts: { json?: boolean; dataDir?: string }) => {
      try {
        // Doctor is run by hand on installed hosts, where the variable lives only in the unit: fall back to the install's path.
        const dataDir = path.resolve(opts.dataDir ?? process.env.HOLDFAST_DATA_DIR ?? "/var/lib/holdfast-agent");
        const findings = await runDoctor({ dataDir, tmpDir: os.tmpdir() });
        process.stdout.write(opts.json ? renderJson(findings) : renderText(findings));
        process.exitCode = exitCodeOf(findings);
      } catch (err) {
        // Not fail()'s exit 1: to a script reading the exit code, a doctor that could not look is a failure, not a warning.
        process.stderr.write(`holdfast-agent doctor: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(2);
      }
    });
}
