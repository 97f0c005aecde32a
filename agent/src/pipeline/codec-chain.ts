import fs from "node:fs";
import type { Readable, Writable } from "node:stream";
import { HoldfastError } from "@holdfast/shared/protocol";
import type { DumpSink } from "../engines/types.js";
import { killTree, spawnChainedTool, spawnFilter, type ToolExit } from "../engines/spawn-tool.js";
import { AGE_BIN, ageToolAvailable, ageRecipientRefused } from "./age-tool.js";
import { CODEC_ENV, toolFailure, type CodecTools } from "./codec.js";
import { openOsPipe, type OsPipe } from "./os-pipe.js";

/**
 * zstd, and the `age` tool after it, wired descriptor to descriptor as a shell pipe is: whatever
 * writes into `input` (the dump tool itself, when its engine can: DumpHints.stdoutTo) reaches zstd,
 * zstd writes into age, and the agent reads only `output`, the bytes it hashes and stages. Raw bytes
 * then never pass through the agent (docs/decisions.md, "Dump into the codec"); their count comes
 * from zstd's own summary (`-vv` prints "(N B => M B"), and progress from /proc/PID/io meanwhile.
 */
export interface CodecChain {
  /**
   * zstd's stdin, for a dump tool to write into (its stdout): an OS pipe's write end where one could
   * be made (os-pipe.ts), else Node's socket pair. The agent's own copy must go (`releaseInput`) for
   * zstd to see the end.
   */
  input: DumpSink;
  /** The same stdin as a stream, for a dump the agent relays (written from JavaScript): at most once. */
  inputStream(): Writable;
  /** What the last child writes: zstd's output, or age's when it encrypts. */
  output: Readable;
  /** One per child, upstream first; `done` rejects with the tool's failure (pipefail). */
  stages: ChainStage[];
  /** Closes the agent's copy of `input`: after the dump tool exited, or when the agent wrote its last byte. */
  releaseInput(): void;
  /** About how many raw bytes zstd has read so far (its read() total); null where /proc cannot tell. */
  rawBytesSoFar(): number | null;
  /** The raw bytes zstd compressed, from its summary: after every stage's `done` resolved. */
  rawBytes(): number;
}

export interface ChainStage {
  tool: string;
  done: Promise<void>;
  abort(): boolean;
}

/** zstd's summary line: "(1118106816 B => 9620300 B," (1.5) or "(1118106816 => 9620300 bytes," (1.4). */
export function zstdSummarySizes(stderr: string): { read: number; written: number } | null {
  const all = [...stderr.matchAll(/\(\s*(\d+)\s*(?:B\s*)?=>\s*(\d+)\s*(?:B|bytes)\b/g)];
  const last = all.at(-1);
  return last ? { read: Number(last[1]), written: Number(last[2]) } : null;
}

/** The formats the zstd tool writes in a chain: its own, and gzip (through zlib, where it was built with it). */
export type ChainFormat = "zstd" | "gzip";

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const reportsSizes = new Map<string, Promise<boolean>>();

/**
 * Whether this zstd writes `format` and prints the byte counts the chain reads, tried once per binary
 * and format on 9 bytes: a build that does not (or no zstd at all) keeps the bytes flowing through
 * the agent, counted there (gzip then in-process, as before).
 */
export function zstdReportsSizes(bin: string, format: ChainFormat = "zstd"): Promise<boolean> {
  const key = `${format}\0${bin}`;
  let known = reportsSizes.get(key);
  if (!known) {
    known = (async () => {
      try {
        const probe = spawnFilter("zstd", bin, ["-vv", "-c", ...formatArgs(format), "-1"], CODEC_ENV);
        const out: Buffer[] = [];
        probe.stdout.on("data", (c: Buffer) => out.push(c));
        probe.stdin.on("error", () => {});
        probe.stdin.end("holdfast\n");
        const exit = await probe.exited;
        const gzipOk = format !== "gzip" || Buffer.concat(out).subarray(0, 2).equals(GZIP_MAGIC);
        return exit.code === 0 && gzipOk && zstdSummarySizes(exit.stderrTail)?.read === 9;
      } catch {
        return false;
      }
    })();
    reportsSizes.set(key, known);
  }
  return known;
}

function formatArgs(format: ChainFormat): string[] {
  return format === "gzip" ? ["--format=gzip"] : [];
}

function watched(tool: string, exited: Promise<ToolExit>, classify?: (stderr: string) => HoldfastError | null): Promise<ToolExit> {
  const done = exited.then((exit) => {
    if (exit.code !== 0) throw toolFailure(tool, exit, classify);
    return exit;
  });
  done.catch(() => {});
  return done;
}

/** The exit as a plain done-promise, observed so a failure waits for whoever awaits it. */
function ended(exit: Promise<ToolExit>): Promise<void> {
  const done = exit.then(() => {});
  done.catch(() => {});
  return done;
}

/**
 * The chain for zstd (or gzip, written by the zstd tool) at `level`, with the age tool for `recipient` when given and installed; null
 * when zstd cannot report its counts (the caller then relays through the agent as before).
 * `encryptInChain` false: the caller encrypts after the chain (the library, or a drill copy first).
 */
export async function openCodecChain(format: ChainFormat, level: number, tools: CodecTools, recipient: string | null, pipeDir?: string): Promise<CodecChain | null> {
  const zstdBin = tools.zstdPath ?? "zstd";
  if (!(await zstdReportsSizes(zstdBin, format))) return null;
  // -T0: zstd's own format compresses on every core; its gzip is zlib's, one thread.
  const zstdArgs = ["-vv", "-c", `-${level}`, ...(format === "zstd" ? ["-T0"] : formatArgs(format))];
  // Kernel pipes where they can be made (os-pipe.ts), as a shell wires its `|`; else Node's socket pairs.
  const into = pipeDir ? await openOsPipe(pipeDir) : null;
  const between = into && recipient ? await openOsPipe(pipeDir!) : null;
  const stages: ChainStage[] = [];
  let zstd: ReturnType<typeof spawnChainedTool>;
  let output: Readable;
  try {
    const age = recipient ? spawnChainedTool("age", tools.agePath ?? AGE_BIN, ["-e", "-r", recipient], CODEC_ENV, between?.read ?? "pipe", "pipe") : null;
    if (age) stages.push({ tool: "age", done: ended(watched("age", age.exited, ageRecipientRefused)), abort: () => killTree(age.child) });
    zstd = spawnChainedTool("zstd", zstdBin, zstdArgs, CODEC_ENV, into?.read ?? "pipe", age ? (between?.write ?? age.stdin!) : "pipe");
    // Each child holds its own copies now: the next one sees the end when the one before it exits.
    age?.stdin?.destroy();
    output = (age ?? zstd).stdout!;
  } finally {
    between?.close();
    into?.closeRead();
  }
  const zstdExit = watched("zstd", zstd.exited);
  stages.unshift({ tool: "zstd", done: ended(zstdExit), abort: () => killTree(zstd.child) });
  let summary: { read: number } | null = null;
  zstdExit.then((exit) => (summary = zstdSummarySizes(exit.stderrTail)), () => {});
  const pid = zstd.child.pid;
  zstd.stdin?.on("error", () => {}); // a dying zstd is reported by its exit, not by the agent's copy of the pipe
  const input = chainInput(into, zstd.stdin);
  return {
    ...input,
    output,
    stages,
    rawBytesSoFar() {
      if (pid === undefined) return null;
      try {
        const m = /^rchar:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"));
        return m ? Number(m[1]) : null;
      } catch {
        return null;
      }
    },
    rawBytes() {
      if (!summary) throw new HoldfastError("INTERNAL_ERROR", "zstd did not report how many bytes it compressed", { tool: "zstd" });
      return summary.read;
    },
  };
}

/** zstd's stdin as the agent holds it: an OS pipe's write end, or Node's socket to the child. */
function chainInput(pipe: OsPipe | null, socket: Writable | null): Pick<CodecChain, "input" | "inputStream" | "releaseInput"> {
  if (!pipe) return { input: socket!, inputStream: () => socket!, releaseInput: () => socket!.destroy() };
  let stream: fs.WriteStream | null = null;
  return {
    input: pipe.write,
    // Blocking writes on the thread pool: a non-blocking stream would make the descriptor non-blocking for the dump tool too.
    inputStream: () => (stream ??= fs.createWriteStream("", { fd: pipe.takeWrite(), highWaterMark: 256 * 1024 })),
    releaseInput: () => (stream ? stream.destroy() : pipe.closeWrite()),
  };
}

/** The age tool as the chain's last link, when asked for and installed (otherwise the caller uses the library). */
export async function ageInChain(recipient: string | undefined, tools: CodecTools): Promise<string | null> {
  return recipient && (await ageToolAvailable(tools.agePath ?? AGE_BIN)) ? recipient : null;
}
