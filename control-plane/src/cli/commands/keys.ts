import { writeFileSync } from "node:fs";
import { errorFromResponse } from "@holdfast/shared";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import type { Command } from "commander";
import { readIdentityFile } from "../keys/identity-file.js";
import { PROBE_BYTES, probeDecrypt } from "../keys/open-probe.js";
import { call, cliErrorOfApi, tokenFetch } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { say } from "../remote/output.js";
import { remote, reportFailure } from "../remote/remote-command.js";

const DEFAULT_IDENTITY_FILE = "holdfast-age-identity.txt";

/** `holdfast keys generate|test`: the age key pair of encrypted backups, and whether a key opens one. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("age keys for encrypted backups");

  keys
    .command("generate")
    .description("make an age X25519 key pair: the identity (private) to a new 0600 file, the recipient (age1…) on stdout")
    .option("-o, --output <file>", "where to write the identity (never overwritten)", DEFAULT_IDENTITY_FILE)
    .action(async (flags: { output: string }) => {
      try {
        const identity = await generateX25519Identity();
        const recipient = await identityToRecipient(identity);
        const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
        try {
          // `wx`: an existing key is never replaced (it may be the only key to years of backups).
          writeFileSync(flags.output, text, { flag: "wx", mode: 0o600 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new CliError(`${flags.output} exists: a key is never overwritten; choose another -o`, EXIT.conflict);
          throw err;
        }
        process.stdout.write(`${recipient}\n`);
        say(`Identity written to ${flags.output} (0600). Keep a copy away from this host: without it no backup encrypted for ${recipient} can be restored.`);
      } catch (err) {
        reportFailure(err);
      }
    });

  keys
    .command("test")
    .description("check that an identity opens a backup, without restoring it (reads the artifact's first bytes only)")
    .argument("<run>", "backup run id")
    .requiredOption("--identity-file <file>", "the age identity to try (a 0600 file)")
    .action(
      remote(async ({ api, conn, json }, runId: string, flags: { identityFile: string }) => {
        const identity = readIdentityFile(flags.identityFile);
        const run = await call(api.runs[":runId"].$get({ param: { runId } }));
        if (run.kind !== "backup" || run.state !== "completed" || run.sizeBytes === null) throw new CliError(`Run ${runId} is not a completed backup: there is nothing to open`, EXIT.failed);
        if (!run.artifact?.encrypted) throw new CliError(`Run ${runId} is not encrypted: it restores without a key`, EXIT.failed);
        const last = Math.min(run.sizeBytes, PROBE_BYTES) - 1;
        const res = await tokenFetch(conn)(`${conn.server}/api/v1/runs/${encodeURIComponent(runId)}/artifact`, { headers: { range: `bytes=0-${last}` } });
        if (!res.ok) throw cliErrorOfApi(await errorFromResponse(res));
        const head = new Uint8Array(await res.arrayBuffer());
        const verdict = await probeDecrypt(head, identity);
        if (json) process.stdout.write(`${JSON.stringify({ runId, recipient: run.artifact.recipient ?? null, opens: verdict.opens, ...(verdict.opens ? {} : { reason: verdict.why }) })}\n`);
        if (!verdict.opens) throw new CliError(`This key does not open run ${runId} (encrypted for ${run.artifact.recipient ?? "another key"}): ${verdict.why}`, EXIT.failed, "DECRYPTION_FAILED");
        if (!json) say(`This key opens run ${runId}.`);
      }),
    );
}
