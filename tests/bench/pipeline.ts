// `npm run bench -- pipeline [flags]`: the agent's backup pipeline next to the shell's
//   pg_dump | CODEC | tee FILE | sha256sum && sync FILE     (lib/shell-pipeline.ts says why this shape)
// for none, gzip -1, gzip -6, zstd -3 and zstd -3 + age (the `age` tool in the shell), on a pgbench
// database and on a less compressible one (random text and bytea), as paired, interleaved repetitions
// (agent, shell, agent, shell...). Agent time: backupStarted to backupCompleted, as the agent reports
// them (its dump, codec, hash, staging and fsync); delivery to the destination comes after and is not
// in it (the delivery benchmark times that, with the pull during staging). Target: agent / shell <= 1.00 on every row.
// Flags: --pairs N (5), --mb N (1024), --quick (2 pairs, 32 MiB, no write), --write, --no-write,
//   --dbs pgbench,random, --codecs none,gzip-1,gzip-6,zstd-3,zstd-3+age
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../support/processes.js";
import { ensureDatabase, type Kind } from "./lib/databases.js";
import { describeMachine } from "./lib/machine.js";
import { benchOptions } from "./lib/options.js";
import { runPaired, timed } from "./lib/paired.js";
import { printSection, spread, spreadIqr, verdict, writeSection, type Section } from "./lib/report.js";
import { shellBackup, type ShellCodec } from "./lib/shell-pipeline.js";
import { addDatasource, addLocalDestination, agentSeconds, backupAndWait, benchStack, dropArtifact } from "./lib/stack.js";
import type { Target } from "./lib/stats.js";

const opts = benchOptions({ dbs: { type: "string" }, codecs: { type: "string" } });
const dbs = opts.pick("dbs", "pgbench,random").split(",") as Kind[];
const TARGET: Target = { op: "<=", limit: 1 };

type Case = { id: string; label: string; compression: { codec: string; level?: number }; encrypt: boolean; shell: ShellCodec; level: number };
const ALL: Case[] = [
  { id: "none", label: "none", compression: { codec: "none" }, encrypt: false, shell: "none", level: 0 },
  { id: "gzip-1", label: "gzip -1", compression: { codec: "gzip", level: 1 }, encrypt: false, shell: "gzip", level: 1 },
  { id: "gzip-6", label: "gzip -6", compression: { codec: "gzip", level: 6 }, encrypt: false, shell: "gzip", level: 6 },
  { id: "zstd-3", label: "zstd -3", compression: { codec: "zstd", level: 3 }, encrypt: false, shell: "zstd", level: 3 },
  { id: "zstd-3+age", label: "zstd -3 + age", compression: { codec: "zstd", level: 3 }, encrypt: true, shell: "zstd+age", level: 3 },
];
const wanted = opts.pick("codecs", ALL.map((c) => c.id).join(",")).split(",");
const cases = ALL.filter((c) => wanted.includes(c.id));

/** One recipient for both sides; its identity stays in the temp dir (nothing here decrypts). */
function ageRecipient(): string {
  const file = path.join(tempDir("bench-age"), "identity");
  const r = spawnSync("age-keygen", ["-o", file], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`age-keygen failed: ${r.stderr}`);
  const m = /public key: (age1[0-9a-z]+)/.exec(readFileSync(file, "utf8"));
  if (!m) throw new Error("age-keygen wrote no public key");
  return m[1]!;
}

const machine = describeMachine();
const recipient = ageRecipient();
const databases = new Map<Kind, string>();
for (const kind of dbs) databases.set(kind, await ensureDatabase(kind, opts.mb));

// The pipeline alone, as the shell's: the control plane pulls after staging, so no upload shares the
// cores with the dump (the delivery benchmark times the overlap, HOLDFAST_PULL_WHILE_STAGING's default).
const stack = await benchStack({ cpEnv: { HOLDFAST_PULL_WHILE_STAGING: "false" } });
const rows: string[][] = [];
try {
  const dest = await addLocalDestination(stack.client, tempDir("bench-dest"), "bench");
  const shellDir = tempDir("bench-shell");
  for (const [kind, database] of databases) {
    const ds = await addDatasource(stack.client, stack.agent.agentId, database);
    // Warm-up, not measured: brings the database into the page cache for both sides alike.
    await shellBackup(path.join(shellDir, "warmup"), database, "none");
    const raw = statSync(path.join(shellDir, "warmup")).size;
    rmSync(path.join(shellDir, "warmup"));
    for (const c of cases) {
      let artifact = 0;
      const agent = async () => {
        const { run } = await backupAndWait(stack.client, ds, {
          destinationIds: [dest],
          options: { format: "plain", compression: c.compression, ...(c.encrypt ? { encryption: { recipient } } : {}) },
        });
        artifact = run.sizeBytes;
        await dropArtifact(stack.client, run.runId);
        return agentSeconds(run);
      };
      const out = path.join(shellDir, "dump");
      const shell = async () => {
        const s = await timed(() => shellBackup(out, database, c.shell, c.level, recipient));
        rmSync(out);
        rmSync(`${out}.sha256`);
        return s;
      };
      const p = await runPaired(`${kind} ${c.label}`, opts.pairs, agent, shell);
      rows.push([kind, c.label, spread(p.summary.a), spread(p.summary.b), spreadIqr(p.summary.ratio), verdict(p.summary.ratio, TARGET), (raw / 2 ** 20).toFixed(0), (artifact / 2 ** 20).toFixed(1)]);
    }
  }
} finally {
  await stack.stop();
}

const section: Section = {
  name: "pipeline",
  title: "Pipeline: agent vs shell",
  params: `${opts.mb} MiB databases, ${opts.pairs} pairs (agent, shell, agent, shell...)`,
  tables: [{ headers: ["database", "codec", "agent s", "shell s", "agent/shell", "target", "dump MiB", "artifact MiB"], rows }],
  notes: [
    "Seconds and ratios: median (min–max) over the pairs; the ratio is taken pair by pair. Shell: `pg_dump | CODEC | tee FILE | sha256sum && sync FILE`; agent: backupStarted to backupCompleted.",
  ],
};
printSection(section, machine);
if (opts.write) writeSection(section, machine);
