import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Api, type ControlPlane, createAdmin, ManagedProcess, ROOT, startControlPlane, tempDir, waitForAgentStatus } from "../support/processes.js";

// install/install-agent.sh needs root, useradd and systemd; its steps live in install-agent-lib.sh
// and run here on their own: the copy into a temp prefix, and the enrollment as the current user.
const LIB = path.join(ROOT, "install/install-agent-lib.sh");
const { version } = JSON.parse(readFileSync(path.join(ROOT, "agent/package.json"), "utf8")) as { version: string };

/** Sources the install steps and runs `script` in sh with `args` as $1...; no stdin. */
function installStep(script: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("sh", ["-c", `. "$0"; ${script}`, LIB, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("install-agent.sh", () => {
  const prefix = path.join(tempDir("install"), "opt-holdfast");
  let cp: ControlPlane;
  let client: Api;

  beforeAll(async () => {
    cp = await startControlPlane();
    client = api(cp, await createAdmin(cp));
    const copied = installStep(`copy_agent "$1" "$2"`, [ROOT, prefix]);
    expect(copied, copied.stderr).toMatchObject({ code: 0 });
  });
  afterAll(async () => {
    await cp?.process.stop();
    rmSync(path.dirname(prefix), { recursive: true, force: true });
  });

  it("copies only the built agent, the shared package and their production dependencies", () => {
    expect(readdirSync(prefix).sort()).toEqual(["agent", "node_modules", "shared"]);
    for (const absent of ["data", "backups", "control-plane", "tests", "agent/src", "shared/src"]) expect(existsSync(path.join(prefix, absent)), absent).toBe(false);
    // Dev tools and the control plane's own dependencies stay behind.
    for (const absent of ["vitest", "typescript", "turbo", "hono", "ssh2", "@holdfast/control-plane"]) expect(existsSync(path.join(prefix, "node_modules", absent)), absent).toBe(false);
    const run = spawnSync(process.execPath, [path.join(prefix, "agent/bin/holdfast-agent.js"), "--version"], { encoding: "utf8" });
    expect(run).toMatchObject({ status: 0, stdout: `${version}\n` });
  });

  it("enrolls with the token in a 0600 file that is gone afterwards, never on a command line, and the copy runs", async () => {
    const token = (await cp.cli(["token", "create"])).stdout.trim();
    const dataDir = tempDir("install-data");
    const seen = path.join(tempDir("install-argv"), "seen");
    // The service-user step records the command it is given and the token file as it finds it, then runs it.
    const enrolled = installStep(
      `seen=$5
      as_service_user() {
        shift
        printf '%s\\n' "$@" > "$seen.argv"
        prev=
        for a in "$@"; do
          [ "$prev" = --token-file ] && stat -c '%a %U' "$a" > "$seen.file" && echo "$a" > "$seen.path"
          prev=$a
        done
        "$@"
      }
      enroll_agent "$1" "$2" "$3" "$4"`,
      [cp.url, prefix, dataDir, userInfo().username, seen],
      { HOLDFAST_ENROLL_TOKEN: token },
    );
    expect(enrolled, enrolled.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^agt_\w+\n$/) });

    const argv = readFileSync(`${seen}.argv`, "utf8");
    expect(argv).not.toContain(token);
    expect(argv).toContain("--token-file");
    expect(readFileSync(`${seen}.file`, "utf8")).toBe(`600 ${userInfo().username}\n`);
    expect(existsSync(readFileSync(`${seen}.path`, "utf8").trim())).toBe(false);

    const agent = ManagedProcess.start(path.join(prefix, "agent/bin/holdfast-agent.js"), ["run", "--data-dir", dataDir]);
    try {
      await waitForAgentStatus(client, enrolled.stdout.trim(), "online");
    } finally {
      await agent.stop();
    }
  });
});
