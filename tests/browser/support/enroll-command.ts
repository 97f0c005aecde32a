import { AGENT_BIN, runCli } from "../../support/processes.js";

/**
 * The enroll command as the console shows it (`HOLDFAST_ENROLL_TOKEN=… holdfast-agent enroll --server …
 * --data-dir …`), run through the built agent: the token from its environment assignment, the
 * arguments as shown, the data dir moved to a temporary folder (the test is not root). Resolves to
 * the new agent's id, which enroll prints.
 */
export async function runShownEnrollCommand(command: string, dataDir: string): Promise<string> {
  const match = /^HOLDFAST_ENROLL_TOKEN=(\S+) holdfast-agent (enroll .*)$/.exec(command.trim());
  if (!match) throw new Error(`not an enroll command: ${command}`);
  const args = match[2]!.split(" ");
  args[args.indexOf("--data-dir") + 1] = dataDir;
  const enrolled = await runCli(AGENT_BIN, args, { env: { HOLDFAST_ENROLL_TOKEN: match[1]! } });
  if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}`);
  return enrolled.stdout.trim();
}
