// What the figures were measured on: a ratio from a 2-core VM with a busy neighbour is not one from
// a quiet 16-core server, so every table carries the machine and its load at the start.
import { spawnSync } from "node:child_process";
import os from "node:os";

export type Machine = { lines: string[]; load: number; cores: number; busy: boolean };

/** The first line a tool prints for its version, or "missing". Bounded: a tool that hangs is cut at 5 s. */
function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 5_000, maxBuffer: 64 * 1024 });
  if (r.error) return "missing";
  return `${r.stdout}${r.stderr}`.trim().split("\n")[0] ?? "?";
}

/** The file system type a folder lives on (ext4, xfs, tmpfs...). */
export function fsType(dir: string): string {
  // findmnt names ext4 as ext4 where `stat -f` says ext2/ext3.
  const r = spawnSync("findmnt", ["-n", "-o", "FSTYPE", "--target", dir], { encoding: "utf8", timeout: 5_000 });
  return r.status === 0 ? (r.stdout.trim().split("\n")[0] ?? "?") : "?";
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  const cores = cpus.length;
  const load = os.loadavg()[0]!;
  const busy = load > cores;
  return {
    load,
    cores,
    busy,
    lines: [
      `CPU: ${cpus[0]?.model.trim() ?? "?"}, ${cores} cores; RAM ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
      `kernel ${os.release()}; temp dir ${os.tmpdir()} on ${fsType(os.tmpdir())}; Node ${process.version}`,
      `tools: ${version("pg_dump", ["--version"])}; ${version("zstd", ["--version"])}; ${version("gzip", ["--version"])}; age ${version("age", ["--version"])}`,
      `load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} (1, 5, 15 min)${busy ? " — BUSY" : ""}`,
    ],
  };
}

/** Printed above the figures when the machine was busy: they are then read with their spread, not as a quiet run's. */
export function loadWarning(m: Machine): string | null {
  return m.busy ? `WARNING: load average ${m.load.toFixed(2)} is above the ${m.cores} cores at the start: the figures below come from a busy machine; read them with their spread.` : null;
}
