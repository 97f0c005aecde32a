import type { Command } from "commander";
import { type BlackoutWindow, UpdateAgentBody } from "@holdfast/shared";
import { call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";
import { blackoutFlag, checked, defined, numberFlag } from "../remote/flags.js";
import { blackoutText, color, printDone, printItem, printList } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";

/** A bandwidth cap as the CLI shows it. */
export const capText = (mibps: number | null) => (mibps === null ? "none" : `${mibps} MiB/s`);

const statusColor = (status: string) => (status === "online" ? color.green(status) : status === "revoked" ? color.red(status) : color.yellow(status));

/** `holdfast agents list|show|update|revoke`. */
export function registerAgentsCommands(program: Command): void {
  const agents = program.command("agents").description("the agents enrolled with the control plane");

  agents
    .command("list")
    .description("list agents: id, name, host, status, last seen, version, upload cap")
    .action(
      remote(async ({ api, json }) => {
        const { items } = await call(api.agents.$get());
        printList(
          items,
          [
            { header: "ID", value: (a) => a.id },
            { header: "NAME", value: (a) => a.name },
            { header: "HOST", value: (a) => a.hostname },
            { header: "STATUS", value: (a) => statusColor(a.status) },
            { header: "LAST SEEN", value: (a) => a.lastSeenAt },
            { header: "VERSION", value: (a) => a.version },
            { header: "UPLOAD CAP", value: (a) => (a.transferCapMiBps === null ? "-" : capText(a.transferCapMiBps)) },
          ],
          { json, empty: "No agents yet: holdfast enroll-token create prints the command that installs one." },
        );
      }),
    );

  agents
    .command("show")
    .description("one agent: status, version, and (when online) its engines and tools")
    .argument("<agent>", "agent id")
    .action(
      remote(async ({ api, json }, id: string) => {
        const agent = await call(api.agents[":id"].$get({ param: { id } }));
        // Capabilities are asked live: an offline agent still shows what the control plane knows.
        const capabilities = agent.status === "online" ? await call(api.agents[":id"].capabilities.$get({ param: { id } })).catch(() => null) : null;
        printItem({ ...agent, capabilities }, [
          ["ID", agent.id],
          ["Name", agent.name],
          ["Host", agent.hostname],
          ["Status", statusColor(agent.status)],
          ...(agent.statusReason ? [["Reason", agent.statusReason] as [string, string]] : []),
          ["Last seen", agent.lastSeenAt],
          ["Version", agent.updateAvailable ? `${agent.version} (update available)` : agent.version],
          ["Upload cap", capText(agent.transferCapMiBps)],
          ["Blackout", `${blackoutText(agent.blackout)} (${agent.timezone})`],
          [
            "Engines",
            capabilities
              ? capabilities.engines.map((e) => (e.available ? `${e.engine} (${e.toolVersion ?? "available"})` : color.dim(`${e.engine}: not installed`))).join(", ")
              : agent.status === "online"
                ? "(the agent did not answer)"
                : "(offline)",
          ],
          ["Codecs", capabilities ? capabilities.codecs.join(", ") : "-"],
        ], { json });
      }),
    );

  agents
    .command("update")
    .description("change an agent's settings: the bandwidth cap on its artifact uploads (a transfer under way adopts it), its blackout windows and their zone")
    .argument("<agent>", "agent id")
    .option("--transfer-cap <MiB/s>", "cap its uploads to the control plane, in MiB/s (fractions allowed, at least 0.1)", numberFlag)
    .option("--no-transfer-cap", "remove the cap")
    .option("--blackout <window>", 'no scheduled backup of its datasources starts then: "mon,tue 01:00-05:00" (repeatable; replaces the list)', blackoutFlag)
    .option("--no-blackout", "remove its blackout windows")
    .option("--timezone <zone>", "the IANA zone its windows read in, e.g. Europe/Berlin (default UTC)")
    .addHelpText("after", '\nExamples:\n  holdfast agents update agt_… --transfer-cap 20\n  holdfast agents update agt_… --no-transfer-cap\n  holdfast agents update agt_… --blackout "mon,tue,wed,thu,fri 08:00-18:00" --timezone Europe/Berlin')
    .action(
      remote(async ({ api, json }, id: string, flags: { transferCap?: number | false; blackout?: BlackoutWindow[] | false; timezone?: string }) => {
        const fields = defined({
          transferCapMiBps: flags.transferCap === undefined ? undefined : flags.transferCap === false ? null : flags.transferCap,
          blackout: flags.blackout === false ? [] : flags.blackout,
          timezone: flags.timezone,
        });
        if (Object.keys(fields).length === 0) throw new CliError("Nothing to change: give --transfer-cap <MiB/s>, --no-transfer-cap, --blackout, --no-blackout or --timezone", EXIT.usage);
        const body = checked(UpdateAgentBody, fields, "agent update");
        const agent = await call(api.agents[":id"].$patch({ param: { id }, json: body }));
        printDone(agent, { json, message: `Agent ${id}: upload cap ${capText(agent.transferCapMiBps)}; blackout ${blackoutText(agent.blackout)} (${agent.timezone}).` });
      }),
    );

  agents
    .command("revoke")
    .description("cut an agent off: its key is refused from now on and its connection closed")
    .argument("<agent>", "agent id")
    .action(
      remote(async ({ api, json }, id: string) => {
        printDone(await call(api.agents[":id"].revoke.$post({ param: { id } })), { json, message: `Agent ${id} revoked.` });
      }),
    );
}
