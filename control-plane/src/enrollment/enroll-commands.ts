/** Where the install script puts the agent's state: the by-hand line uses the same folder, so either way `holdfast-agent run` finds it. */
export const AGENT_DATA_DIR = "/var/lib/holdfast-agent";
export const ENROLL_TOKEN_ENV = "HOLDFAST_ENROLL_TOKEN";

/**
 * A command ready to run on the agent's host, in two forms: `argv` and `env` for a program to run
 * without a shell, and `shell` to paste. The token travels in the environment, never in argv (argv
 * shows in `ps` to every user of the host).
 */
export interface ReadyCommand {
  argv: string[];
  env: Record<string, string>;
  shell: string;
}

// The URL was checked to hold only host-name characters; single quotes still keep a shell from
// reading `[::1]` as a glob.
const quoted = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

function ready(argv: string[], token: string): ReadyCommand {
  return { argv, env: { [ENROLL_TOKEN_ENV]: token }, shell: `${ENROLL_TOKEN_ENV}=${token} ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quoted(a))).join(" ")}` };
}

/**
 * The commands that enroll a host with this token: `install` runs install/install-agent.sh from a
 * built checkout (the agent as a systemd service, README "Enroll an agent on another host");
 * `enroll` enrolls an agent already on the host.
 */
export function enrollCommands(serverUrl: string, token: string): { install: ReadyCommand; enroll: ReadyCommand } {
  return {
    install: ready(["sudo", `--preserve-env=${ENROLL_TOKEN_ENV}`, "sh", "install/install-agent.sh", serverUrl], token),
    enroll: ready(["holdfast-agent", "enroll", "--server", serverUrl, "--data-dir", AGENT_DATA_DIR], token),
  };
}
