import { isLoopbackHost } from "@holdfast/shared";

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

/** The one-line install: `download` (curl, pinned) fetches the script that `argv` then runs; `shell` is both, joined with &&. */
export interface InstallCommand extends ReadyCommand {
  download: string[];
}

/** What the control plane knows of its own TLS to put in the commands (tls/server-pins.ts). */
export interface EnrollPins {
  /** `--ca-pin` values: the topmost certificate of the served chain, or HOLDFAST_PUBLIC_PINS. */
  caPins: string[];
  /** curl's `--pinnedpubkey` value (`sha256//…;sha256//…`), or null. */
  curlPins: string | null;
}

// The URL was checked to hold only host-name characters; single quotes still keep a shell from
// reading `[::1]` as a glob, and `;` in curl's pin list from ending the command.
const quoted = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const shellWords = (argv: readonly string[]) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quoted(a))).join(" ");

function ready(argv: string[], token: string): ReadyCommand {
  return { argv, env: { [ENROLL_TOKEN_ENV]: token }, shell: `${ENROLL_TOKEN_ENV}=${token} ${shellWords(argv)}` };
}

/**
 * The commands that enroll a host with this token: `install`, the one-line install (the script
 * fetched over the pinned connection, then run with the token in its environment: install/agent.sh);
 * `enroll`, for an agent already on the host. Every pin the control plane knows goes in as
 * `--ca-pin`. Plain http:// to another host adds `--insecure` and a `warning`: the operator sees
 * in the command itself that nothing protects the link.
 */
export function enrollCommands(
  serverUrl: string,
  token: string,
  pins: EnrollPins = { caPins: [], curlPins: null },
): { install: InstallCommand; enroll: ReadyCommand; warning?: string } {
  const https = serverUrl.startsWith("https:");
  const plainRemote = !https && !isLoopbackHost(new URL(serverUrl).hostname);
  const trustFlags = [...(https ? pins.caPins.flatMap((pin) => ["--ca-pin", pin]) : []), ...(plainRemote ? ["--insecure"] : [])];
  // curl verifies the chain against the system CAs even with a pin (a self-signed certificate fails
  // with exit 60), and checks the pin even with -k (exit 90 on a mismatch): with a pin, -k hands the
  // trust to the pin alone, as the agent does.
  const download = ["curl", "-fsSL", ...(https && pins.curlPins ? ["-k", "--pinnedpubkey", pins.curlPins] : []), `${serverUrl}/install/agent.sh`, "-o", "install.sh"];
  // install.sh downloads the manifest and the package with curl too, pinned to its --ca-pin values,
  // and curl checks only the leaf's key: with a CA-signed chain the CA's pin alone would refuse the
  // control plane, so the script also gets curl's (leaf) pins, and hands them all to the agent.
  const leafPins = https && pins.curlPins ? pins.curlPins.split(";").map((p) => `sha256:${p.slice("sha256//".length)}`) : [];
  const installTrust = [...[...new Set([...(https ? pins.caPins : []), ...leafPins])].flatMap((pin) => ["--ca-pin", pin]), ...(plainRemote ? ["--insecure"] : [])];
  const run = ready(["sudo", `--preserve-env=${ENROLL_TOKEN_ENV}`, "sh", "install.sh", "--server", serverUrl, ...installTrust], token);
  const install: InstallCommand = { ...run, download, shell: `${shellWords(download)} && ${run.shell}` };
  const enroll = ready(["holdfast-agent", "enroll", "--server", serverUrl, ...trustFlags, "--data-dir", AGENT_DATA_DIR], token);
  if (!plainRemote) return { install, enroll };
  return {
    install,
    enroll,
    warning: `${serverUrl} is plain http: the token, the agent's link and its backups cross the network unencrypted (--insecure). Serve TLS (holdfast serve --tls-cert/--tls-key, or a reverse proxy: docs/tls.md) and reach the console by https.`,
  };
}
