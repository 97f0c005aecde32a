import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { access, constants, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";

export interface TestSftpServer {
  host: string;
  port: number;
  username: string;
  /** The authorized user key (OpenSSH format, unencrypted). */
  privateKey: string;
  /** A second key the server does not know: for refused-credentials tests. */
  unknownPrivateKey: string;
  /** The server's host key fingerprint, as `ssh-keygen -lf` prints it. */
  hostKeySha256: string;
  /** An empty folder the user may write to: the destination's `path`. */
  root: string;
  /** A ready SFTP destination config for this server. */
  config(extra?: Record<string, unknown>): { host: string; port: number; username: string; privateKey: string; hostKeySha256: string; path: string };
  stop(): Promise<void>;
}

const INSTALL = "install it with `apt-get install -y openssh-server` (Debian/Ubuntu)";

/** The absolute path of a tool (sshd re-executes itself and needs one), or a message saying what to install. */
async function findTool(name: string, extraDirs: string[]): Promise<string> {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...extraDirs]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`The SFTP test server needs OpenSSH's ${name}, which is not installed: ${INSTALL}`);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}): ${stderr}`))));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** `SHA256:<base64>` of the key blob in an OpenSSH public key line (what ssh-keygen -lf prints). */
function fingerprintOfPublicKey(line: string): string {
  const blob = Buffer.from(line.trim().split(/\s+/)[1] ?? "", "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Starts sshd in the foreground; resolves once it listens, rejects with its stderr if it exits first. */
function startSshd(sshd: string, configFile: string): Promise<{ child: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(sshd, ["-D", "-e", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sshd did not start listening within 10 s: ${stderr}`));
    }, 10_000);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (/Server listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve({ child, log: () => stderr });
      }
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code}) before listening: ${stderr}`));
    });
  });
}

/**
 * Debian's OpenSSH sshd as a private SFTP server: a foreground child (`-D -e -f <config>`) on a free
 * loopback port, with its own temporary host key and authorized_keys, for the current user (root
 * included: `PermitRootLogin` is set in this private config only). Key authentication only. A
 * missing sshd or ssh-keygen fails with a message saying what to install.
 */
export async function startSftpServer(): Promise<TestSftpServer> {
  const sbin = ["/usr/sbin", "/usr/local/sbin", "/sbin"];
  const sshd = await findTool("sshd", sbin);
  const keygen = await findTool("ssh-keygen", sbin);
  const dir = await mkdtemp(join(tmpdir(), "holdfast-sshd-"));
  const root = join(dir, "data");
  await mkdir(root);
  const hostKey = join(dir, "host_ed25519");
  const userKey = join(dir, "user_ed25519");
  const otherKey = join(dir, "other_ed25519");
  for (const file of [hostKey, userKey, otherKey]) await run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "holdfast-test", "-f", file]);
  const authorizedKeys = join(dir, "authorized_keys");
  await writeFile(authorizedKeys, await readFile(`${userKey}.pub`), { mode: 0o600 });
  // sshd running as root insists on its privilege separation folder.
  if (process.getuid?.() === 0) await mkdir("/run/sshd", { recursive: true, mode: 0o755 });

  const username = userInfo().username;
  let started: { child: ChildProcess; log: () => string } | undefined;
  let port = 0;
  // A free port can be taken between the probe and sshd's bind: try a few.
  for (let attempt = 0; !started; attempt++) {
    port = await freePort();
    const configFile = join(dir, "sshd_config");
    await writeFile(
      configFile,
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        "StrictModes no",
        "PermitRootLogin yes",
        `AllowUsers ${username}`,
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "LogLevel INFO",
        "Subsystem sftp internal-sftp",
        "",
      ].join("\n"),
    );
    try {
      started = await startSshd(sshd, configFile);
    } catch (err) {
      if (attempt >= 4 || !/Address already in use|Bind to port/.test(String(err))) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const { child } = started;
  const privateKey = await readFile(userKey, "utf8");
  const hostKeySha256 = fingerprintOfPublicKey(await readFile(`${hostKey}.pub`, "utf8"));
  return {
    host: "127.0.0.1",
    port,
    username,
    privateKey,
    unknownPrivateKey: await readFile(otherKey, "utf8"),
    hostKeySha256,
    root,
    config: (extra = {}) => ({ host: "127.0.0.1", port, username, privateKey, hostKeySha256, path: root, ...extra }),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
