import type { Command } from "commander";
import { curlPin, HoldfastError } from "@holdfast/shared";

/**
 * `holdfast ca-pin [--cert FILE]`: the pin of each certificate of the chain (default: the configured
 * HOLDFAST_TLS_CERT), to give agents (`--ca-pin`) and curl (`--pinnedpubkey`). Reads a local file
 * only: no database, no server.
 */
export function addCaPinCommand(program: Command): void {
  program
    .command("ca-pin")
    .description("print the pin of each certificate of the TLS chain (leaf, intermediate, CA), for holdfast-agent --ca-pin and curl --pinnedpubkey")
    .option("--cert <file>", "a PEM certificate chain (default $HOLDFAST_TLS_CERT)")
    .action(async (opts: { cert?: string }) => {
      try {
        const file = opts.cert ?? process.env.HOLDFAST_TLS_CERT;
        if (!file) throw new HoldfastError("VALIDATION_FAILED", "No certificate: pass --cert FILE or set HOLDFAST_TLS_CERT");
        const [{ readFileSync }, { certificatesOfPem, pinsOfChain }] = await Promise.all([import("node:fs"), import("@holdfast/shared/node")]);
        let pem: string;
        try {
          pem = readFileSync(file, "utf8");
        } catch (err) {
          throw new HoldfastError("VALIDATION_FAILED", `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        const chain = certificatesOfPem(pem);
        if (chain.length === 0) throw new HoldfastError("VALIDATION_FAILED", `${file}: no PEM certificate in it`);
        for (const { role, subject, pin } of pinsOfChain(chain)) {
          process.stdout.write(`${role.padEnd(12)} ${pin}  (curl: ${curlPin(pin)})  ${subject}\n`);
        }
        process.stderr.write(
          "holdfast: give agents the CA's pin (or the leaf's for a self-signed certificate): holdfast-agent enroll --ca-pin sha256:…; curl --pinnedpubkey checks the leaf's only\n",
        );
      } catch (err) {
        process.stderr.write(`holdfast: ${(err as Error).message}${err instanceof HoldfastError ? ` (${err.code})` : ""}\n`);
        process.exitCode = 1;
      }
    });
}
