import type { Command } from "commander";
import { call } from "../remote/client.js";
import { color, printDone, printItem, printList } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";

const statusColor = (status: string) => (status === "online" ? color.green(status) : status === "revoked" ? color.red(status) : color.yellow(status));

/** `holdfast agents list|show|revoke`. */
export function registerAgentsCommands(program: Command): void {
  const agents = program.command("agents").description("the agents enrolled with the control plane");

  agents
    .command("list")
    .description("list agents: id, name, host, status, last seen, version")
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
    .command("revoke")
    .description("cut an agent off: its key is refused from now on and its connection closed")
    .argument("<agent>", "agent id")
    .action(
      remote(async ({ api, json }, id: string) => {
        printDone(await call(api.agents[":id"].revoke.$post({ param: { id } })), { json, message: `Agent ${id} revoked.` });
      }),
    );
}
