import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HoldfastError } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import { makeTempDir, ManualClock, pidFrom } from "../testing/helpers.js";
import { pipelineWithKilledChild } from "../testing/killed-child.js";
import { seqBytes, shellDump } from "../testing/shell-dump.js";
import { ageToolAvailable } from "./age-tool.js";
import { zstdReportsSizes, zstdSummarySizes } from "./codec-chain.js";
import { runPipeline } from "./run-pipeline.js";

const hasAge = await ageToolAvailable();

describe("zstd (and age) as a chain of children the dump writes into", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("chain");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads zstd's summary in the 1.5 and the 1.4 wording", () => {
    expect(zstdSummarySizes("Using stdin for input \n/*stdin*\\            :  0.86%   (1118106816 B => 9620300 B, /*stdout*\\) \n")).toEqual({ read: 1118106816, written: 9620300 });
    expect(zstdSummarySizes("/*stdin*\\            : 25.00%   (   4096 =>    1024 bytes, /*stdout*\\) \n")).toEqual({ read: 4096, written: 1024 });
    expect(zstdSummarySizes("zstd: error 70 : Write error")).toBeNull();
  });

  it("a zstd that does not report its counts is not used as a chain", async () => {
    const mute = path.join(dir, "mute-zstd");
    fs.writeFileSync(mute, `#!/bin/sh\nexec zstd -q "$@" 2>/dev/null\n`, { mode: 0o755 });
    expect(await zstdReportsSizes("zstd")).toBe(true);
    expect(await zstdReportsSizes(mute)).toBe(false);
    // The pipeline still compresses with it, relaying and counting the bytes itself.
    const seen: { handle?: DumpHandle } = {};
    const a = await runPipeline({ dump: shellDump("seq 1 50000", seen), runDir: dir, runId: "run_m", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst", tools: { zstdPath: mute } });
    expect(seen.handle!.direct).toBe(false);
    expect(a.rawSizeBytes).toBe(seqBytes(50_000).length);
  });

  it("stages what the dump tool wrote into zstd itself, with zstd's count as the raw size", async () => {
    const seen: { handle?: DumpHandle } = {};
    const a = await runPipeline({ dump: shellDump("seq 1 300000", seen), runDir: dir, runId: "run_d", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" });
    const expected = seqBytes(300_000);
    expect(seen.handle!.direct).toBe(true);
    expect(a.rawSizeBytes).toBe(expected.length);
    const file = fs.readFileSync(a.stagingPath);
    expect(a.sizeBytes).toBe(file.length);
    expect(execFileSync("zstd", ["-d", "-c", "-q"], { input: file, maxBuffer: 64 << 20 }).equals(expected)).toBe(true);
  });

  it("writes gzip through the zstd tool in the chain: zlib inflates it to the dump's bytes", async () => {
    const seen: { handle?: DumpHandle } = {};
    const a = await runPipeline({ dump: shellDump("seq 1 200000", seen), runDir: dir, runId: "run_g", clock: new ManualClock(), compression: { codec: "gzip", level: 1 }, extension: ".sql.gz" });
    expect(seen.handle!.direct).toBe(true);
    const expected = seqBytes(200_000);
    expect(a.rawSizeBytes).toBe(expected.length);
    expect(zlib.gunzipSync(fs.readFileSync(a.stagingPath)).equals(expected)).toBe(true);
  });

  it("reports progress from zstd's reads once a second while the dump writes into it", async () => {
    const clock = new ManualClock();
    const progress: number[] = [];
    const release = path.join(dir, "release");
    // Writes 2 MB, then waits for the test before it ends.
    const script = `seq 1 300000; while [ ! -e ${JSON.stringify(release)} ]; do sleep 0.05; done`;
    const p = runPipeline({ dump: shellDump(script, {}), runDir: dir, runId: "run_p", clock, compression: { codec: "zstd", level: 3 }, extension: ".sql.zst", onProgress: (b) => progress.push(b) });
    const expected = seqBytes(300_000).length;
    await expect
      .poll(() => {
        clock.advance(1000);
        return progress.at(-1) ?? 0;
      }, { timeout: 15_000, interval: 50 })
      .toBeGreaterThanOrEqual(expected);
    fs.writeFileSync(release, "");
    expect((await p).rawSizeBytes).toBe(expected);
    expect(progress.at(-1)).toBe(expected);
  });

  it("reports the raw total once when a direct dump ends before the first sample", async () => {
    const progress: number[] = [];
    const a = await runPipeline({ dump: shellDump("seq 1 1000", {}), runDir: dir, runId: "run_q", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst", onProgress: (b) => progress.push(b) });
    expect(progress).toEqual([a.rawSizeBytes]);
  });

  it("never stages anything when the dump tool fails after writing into zstd", async () => {
    const err = (await runPipeline({ dump: shellDump("seq 1 100000; exit 3", {}), runDir: dir, runId: "run_f", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ tool: "sh", exitCode: 3 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("refuses a dump tool that wrote nothing into zstd", async () => {
    const err = (await runPipeline({ dump: shellDump("true", {}), runDir: dir, runId: "run_e", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ rawSizeBytes: 0 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("reports zstd's own death, not the dump's broken pipe, when zstd is killed while the dump writes into it", async () => {
    const pidFile = path.join(dir, "zstd.pid");
    const standIn = path.join(dir, "zstd-stand-in");
    fs.writeFileSync(standIn, `#!/bin/sh\ncase " $* " in *" -T0 "*) echo $$ > ${JSON.stringify(pidFile)} ;; esac\nexec zstd "$@"\n`, { mode: 0o755 });
    const runDir = path.join(dir, "run");
    fs.mkdirSync(runDir);
    const p = runPipeline({ dump: shellDump("while :; do seq 1 10000; done", {}), runDir, runId: "run_k", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst", tools: { zstdPath: standIn } });
    process.kill(await pidFrom(pidFile), "SIGKILL");
    const err = (await p.catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ tool: "zstd", signal: "SIGKILL" });
    expect(fs.readdirSync(runDir)).toEqual([]);
  });

  it.skipIf(!hasAge)("reports age's death when age, after zstd in the chain, is killed", async () => {
    const recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    const { err, left } = await pipelineWithKilledChild(dir, "age", { compression: { codec: "zstd", level: 3 }, extension: ".sql.zst.age", encryption: { recipient } });
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ tool: "age", signal: "SIGKILL" });
    expect(left).toEqual([]);
  });

  /** What zstd's stdin and stdout are on its compressing call ("fifo 1234", "socket 5678": kind and inode), as a stand-in sees them. */
  function zstdWiring(): { zstdPath: string; seen: () => string[] } {
    const log = path.join(dir, "wiring");
    const standIn = path.join(dir, "zstd-wired");
    fs.writeFileSync(standIn, `#!/bin/sh\ncase " $* " in *" -T0 "*) w=$(stat -L -c '%F %i' /proc/$$/fd/0 /proc/$$/fd/1); echo "$w" > ${JSON.stringify(log)} ;; esac\nexec zstd "$@"\n`, { mode: 0o755 });
    return { zstdPath: standIn, seen: () => fs.readFileSync(log, "utf8").trim().split("\n") };
  }

  it("wires the dump tool into zstd by a kernel pipe, as a shell's | does, and removes the pipe's name at once", async () => {
    const runDir = path.join(dir, "run");
    fs.mkdirSync(runDir);
    const dumpOut = path.join(dir, "dump-stdout");
    const wiring = zstdWiring();
    const seen: { handle?: DumpHandle } = {};
    const a = await runPipeline({ dump: shellDump(`w=$(stat -L -c '%F %i' /proc/$$/fd/1); echo "$w" > ${JSON.stringify(dumpOut)}; seq 1 20000`, seen), runDir, runId: "run_w", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst", tools: { zstdPath: wiring.zstdPath } });
    const dumpSide = fs.readFileSync(dumpOut, "utf8").trim();
    expect(dumpSide).toMatch(/^fifo \d+$/);
    // zstd reads the very pipe the dump writes; its output goes to the agent.
    expect(wiring.seen()[0]).toBe(dumpSide);
    expect(execFileSync("zstd", ["-dc", a.stagingPath])).toEqual(seqBytes(20000));
    expect(fs.readdirSync(runDir)).toEqual([path.basename(a.stagingPath)]);
  });

  it.skipIf(!hasAge)("wires zstd into the age tool by a kernel pipe too", async () => {
    const recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    const wiring = zstdWiring();
    await runPipeline({ dump: shellDump("seq 1 20000", {}), runDir: dir, runId: "run_a", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst.age", encryption: { recipient }, tools: { zstdPath: wiring.zstdPath } });
    const [stdin, stdout] = wiring.seen();
    expect(stdin).toMatch(/^fifo /);
    expect(stdout).toMatch(/^fifo /);
    expect(stdout).not.toBe(stdin);
  });

  it("keeps no descriptor of the pipes once a run ended, whether it completed, failed or its dump never started", async () => {
    const openFds = () => fs.readdirSync("/proc/self/fd").length;
    const before = openFds();
    await runPipeline({ dump: shellDump("seq 1 1000", {}), runDir: dir, runId: "run_1", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" });
    await runPipeline({ dump: shellDump("seq 1 1000; exit 2", {}), runDir: dir, runId: "run_2", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" }).catch(() => {});
    const refused = async () => {
      throw new Error("the dump could not start");
    };
    await runPipeline({ dump: refused, runDir: dir, runId: "run_3", clock: new ManualClock(), compression: { codec: "zstd", level: 3 }, extension: ".sql.zst" }).catch(() => {});
    expect(openFds()).toBe(before);
  });
});
