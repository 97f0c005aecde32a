import type { Command } from "commander";
import { agentRunCommand, CreateEnrollmentTokenBody, DEFAULT_ENROLLMENT_TTL } from "@holdfast/shared";
import { call } from "../remote/client.js";
import { checked, defined } from "../remote/flags.js";
import { color, say } from "../remote/output.js";
import { remote } from "../remote/remote-command.js";

/** `holdfast enroll-token create`: what the console's "Add agent" dialog does. */
export function registerEnrollTokensCommands(program: Command): void {
  const group = program.command("enroll-token").description("single-use tokens that enroll a new agent");

  group
    .command("create")
    .description("make an enrollment token and print the commands that enroll and start an agent with it")
    .option("--ttl <duration>", `how long it stays valid, e.g. 90s, 15m, 2h (at most 24h; default ${DEFAULT_ENROLLMENT_TTL})`)
    .option("--name <name>", "a name to recognise it by in the pending list")
    .option("--token-only", "print only the token on stdout (for scripts)")
    .addHelpText("after", "\nThe token is shown this once. In the commands it travels in the environment (HOLDFAST_ENROLL_TOKEN), never in argv.")
    .action(
      remote(async ({ api, json }, flags: { ttl?: string; name?: string; tokenOnly?: boolean }) => {
        // Checked here too, so a wrong --ttl is a usage error before anything is sent.
        checked(CreateEnrollmentTokenBody, defined({ ttl: flags.ttl, name: flags.name }), "enroll-token");
        const issued = await call(api["enrollment-tokens"].$post({ json: defined({ ttl: flags.ttl, name: flags.name }) }));
        if (json) {
          process.stdout.write(`${JSON.stringify(issued, null, 2)}\n`);
          return;
        }
        if (flags.tokenOnly) {
          process.stdout.write(`${issued.token}\n`);
          return;
        }
        // The commands carry the token, so they are the result (stdout); the prose goes to stderr.
        say(`Enrollment token ${issued.id}${issued.name ? ` (${issued.name})` : ""}: works once, until ${issued.expiresAt}. Shown this once.`);
        if (issued.commands.warning) say(color.red(`Warning: ${issued.commands.warning}`));
        say(color.dim("On the agent's host, install the agent as a service:"));
        process.stdout.write(`${issued.commands.install.shell}\n`);
        say(color.dim("Or, with the agent already there, enroll:"));
        process.stdout.write(`${issued.commands.enroll.shell}\n`);
        say(color.dim("then start the agent:"));
        process.stdout.write(`${agentRunCommand(issued.commands.enroll.argv)}\n`);
      }),
    );
}
