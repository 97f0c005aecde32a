import { ERROR_CATALOG, type ValidateRunAnswer } from "@holdfast/shared";
import { type Command, Option } from "commander";
import { setTimeout as sleep } from "node:timers/promises";
import prettyBytes from "pretty-bytes";
import { type Api, call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT, type ExitCode } from "../remote/exit-codes.js";
import { color, type Column, renderTable, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";
import { destinationOf } from "./destination-ref.js";

type CopyCheck = ValidateRunAnswer["copies"][number];

const verdictColor = (v: CopyCheck["verdict"]) => (v === "ok" ? color.green(v) : v === "unreachable" ? color.yellow(v) : color.red(v));

/** One line per copy: where it is, what it is called there, what it was found to be and why. */
export const validateColumns: Column<CopyCheck>[] = [
  { header: "DESTINATION", value: (c) => c.destinationName },
  { header: "OBJECT", value: (c) => c.objectName },
  { header: "VERDICT", value: (c) => verdictColor(c.verdict) },
  { header: "DETAIL", value: (c) => c.detail ?? (c.checked === "sha256" ? `size and SHA-256 match (${prettyBytes(c.bytesRead)} read)` : "every object there, sizes match") },
];

/** The line under the table: how many copies are sound, and what the others are. */
export function validateSummary(answer: ValidateRunAnswer): string {
  const total = answer.copies.length;
  if (total === 0) return `Run ${answer.runId} has no live copy at any destination: nothing to validate.`;
  const depth = answer.depth === "full" ? "size and SHA-256 checked" : "sizes checked, contents not read";
  if (answer.ok) return `All ${total} ${total === 1 ? "copy" : "copies"} of run ${answer.runId} ok (${depth}).`;
  const ok = answer.copies.filter((c) => c.verdict === "ok").length;
  const counts = new Map<string, number>();
  for (const c of answer.copies) if (c.verdict !== "ok") counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  const bad = [...counts].map(([verdict, n]) => `${n} ${verdict}`).join(", ");
  return `${ok} of ${total} ${total === 1 ? "copy" : "copies"} of run ${answer.runId} ok, ${bad} (${depth}).`;
}

/** 0 when every live copy is ok, 1 otherwise (damage found, a destination not read, or no copy at all). */
export const validateExitCode = (answer: ValidateRunAnswer): ExitCode => (answer.ok ? EXIT.ok : EXIT.failed);

/** How often `runs copy --wait` looks at the delivery again. */
const POLL_MS = 1000;

/** Follows one delivery until it is completed (returned) or failed (a CliError, exit 1). */
async function waitForDelivery(api: Api, runId: string, deliveryId: string, quiet: boolean) {
  let last = "";
  for (;;) {
    const { items } = await call(api.runs[":runId"].deliveries.$get({ param: { runId } }));
    const delivery = items.find((d) => d.id === deliveryId);
    if (!delivery) throw new CliError(`Delivery ${deliveryId} of run ${runId} is gone`, EXIT.notFound, "RUN_NOT_FOUND");
    if (delivery.state === "completed") return delivery;
    if (delivery.state === "failed") {
      const { error } = delivery;
      const tries = `${delivery.attempts} ${delivery.attempts === 1 ? "try" : "tries"}`;
      throw new CliError(`The copy failed after ${tries}: ${error?.message ?? "no reason given"}`, EXIT.failed, error?.code ?? null, error ? ERROR_CATALOG[error.code].action : null);
    }
    const state = delivery.error ? `${delivery.state} (last try: ${delivery.error.message})` : delivery.state;
    if (!quiet && state !== last) say(`copy ${deliveryId}: ${state}`);
    last = state;
    await sleep(POLL_MS);
  }
}

/** `holdfast runs validate|copy`: a stored backup as objects at its destinations. */
export function registerRunsStoredCommands(runs: Command): void {
  runs
    .command("validate")
    .description("re-read the stored backup at each destination holding it and check size and SHA-256; exits 1 if any copy is not ok")
    .argument("<run>", "run id")
    .addOption(new Option("--depth <depth>", "full: read every byte (size and SHA-256); size: only that every object is there with its size").choices(["full", "size"]).default("full"))
    .action(
      remote(async ({ api, json }, runId: string, opts: { depth: "full" | "size" }) => {
        const answer = await call(api.runs[":runId"].validate.$post({ param: { runId }, json: { depth: opts.depth } }));
        if (json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        else {
          if (answer.copies.length > 0) process.stdout.write(renderTable(answer.copies, validateColumns));
          say(validateSummary(answer));
        }
        process.exitCode = validateExitCode(answer);
      }),
    );

  runs
    .command("copy")
    .description("copy a completed backup to another destination, recorded as a delivery of the run")
    .argument("<run>", "run id")
    .requiredOption("--to <destination>", "the destination to copy to (id or name)")
    .option("--wait", "wait until the copy is completed (exit 0) or failed (exit 1)")
    .action(
      remote(async ({ api, json }, runId: string, opts: { to: string; wait?: boolean }) => {
        const destination = await destinationOf(api, opts.to);
        const answer = await call(api.runs[":runId"].copies.$post({ param: { runId }, json: { destinationId: destination.id } }));
        if (!opts.wait) {
          if (json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
          else say(`Copy of run ${runId} to ${destination.name} queued (delivery ${answer.deliveryId}): holdfast runs copy … --wait, or the run's deliveries, follow it.`);
          return;
        }
        const delivery = await waitForDelivery(api, runId, answer.deliveryId, json);
        if (json) process.stdout.write(`${JSON.stringify(delivery, null, 2)}\n`);
        else say(`Run ${runId} copied to ${destination.name}: ${delivery.path ?? "?"} (${delivery.bytes === null ? "size unknown" : prettyBytes(delivery.bytes)}).`);
      }),
    );
}
