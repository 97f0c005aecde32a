// A PostgreSQL client root (HOLDFAST_PG_BIN_ROOT) whose pg_dump misbehaves on purpose for databases
// named after a fault (`flt_<fault>_...`), and is the real pg_dump for every other database. psql,
// pg_restore and pg_dumpall are the real ones. Each misbehaving start leaves `<fault>.<pid>.pid` in
// the root, so a scenario can find (and kill) the process; how many bytes it writes before its fault
// comes from `<fault>.bytes`, which the scenario writes before each repetition. Every pg_dump start,
// real or not, appends a line to `starts`: duplicate executions are counted from it.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../../support/processes.js";

export const PRODUCER_FAULTS = ["exitcode", "nothing", "garbage", "hang", "killed"] as const;
export type ProducerFault = (typeof PRODUCER_FAULTS)[number];

const REAL_ROOT = "/usr/lib/postgresql";
const HEADER = "printf -- '--\\n-- PostgreSQL database dump\\n--\\n'";

function script(real: string, root: string): string {
  return `#!/bin/sh
# Stand-in pg_dump of the fault suite (tests/faults/lib/stand-in-pg.ts).
if [ "$1" = "--version" ]; then exec "${real}" "$@"; fi
echo "$$" >> "${root}/starts"
case "$*" in
  *flt_exitcode_*) mode=exitcode ;;
  *flt_nothing_*) mode=nothing ;;
  *flt_garbage_*) mode=garbage ;;
  *flt_hang_*) mode=hang ;;
  *flt_killed_*) mode=killed ;;
  *) exec "${real}" "$@" ;;
esac
echo "$$" > "${root}/$mode.$$.pid"
bytes=$(cat "${root}/$mode.bytes" 2>/dev/null || echo 1000)
case $mode in
  exitcode) ${HEADER}; head -c "$bytes" /dev/urandom; echo "pg_dump: error: query failed: fault injected" >&2; exit 3 ;;
  nothing) exit 0 ;;
  garbage) head -c "$bytes" /dev/urandom; exit 0 ;;
  hang) ${HEADER}; head -c "$bytes" /dev/urandom; exec sleep 3600 ;;
  killed) ${HEADER}; while :; do head -c 65536 /dev/urandom; sleep 0.05; done ;;
esac
`;
}

/** The stand-in root, one `<major>/bin` per major installed under /usr/lib/postgresql. */
export function standInPgRoot(): string {
  const root = tempDir("fault-pg-root");
  const majors = readdirSync(REAL_ROOT).filter((m) => /^\d+$/.test(m));
  if (majors.length === 0) throw new Error(`no PostgreSQL client under ${REAL_ROOT}`);
  for (const major of majors) {
    const bin = path.join(root, major, "bin");
    const real = path.join(REAL_ROOT, major, "bin");
    mkdirSync(bin, { recursive: true });
    for (const tool of ["psql", "pg_restore", "pg_dumpall"]) symlinkSync(path.join(real, tool), path.join(bin, tool));
    writeFileSync(path.join(bin, "pg_dump"), script(path.join(real, "pg_dump"), root), { mode: 0o755 });
  }
  writeFileSync(path.join(root, "starts"), "");
  return root;
}

/** Pids of the stand-in's misbehaving starts for `fault` so far. */
export function faultPids(root: string, fault: ProducerFault): number[] {
  return readdirSync(root)
    .filter((n) => n.startsWith(`${fault}.`) && n.endsWith(".pid"))
    .map((n) => Number(n.split(".")[1]));
}
