import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import zlib from "node:zlib";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HoldfastError } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { pipelineWithKilledChild } from "../testing/killed-child.js";
import { encryptionToolIssue } from "../runs/preflight.js";
import { ageToolAvailable } from "./age-tool.js";
import { openDecrypted } from "./encrypt.js";
import { runPipeline } from "./run-pipeline.js";

function handleOf(stdout: Readable, done: Promise<void> = Promise.resolve()): DumpHandle {
  return { stdout, done, abort: () => (stdout.destroy(), true) };
}

/** The `age` tool decrypting `file`, the identity in a 0600 file (never on argv). */
function toolDecrypt(file: string, identity: string, dir: string): Buffer {
  const identityFile = path.join(dir, "identity.txt");
  fs.writeFileSync(identityFile, `${identity}\n`, { mode: 0o600, flag: "wx" });
  try {
    return execFileSync("age", ["-d", "-i", identityFile, file], { maxBuffer: 64 << 20 });
  } finally {
    fs.rmSync(identityFile);
  }
}

const hasTool = await ageToolAvailable();

describe.skipIf(!hasTool)("age encryption by the tool, the library as the fallback (same format)", () => {
  let dir: string;
  let identity: string;
  let recipient: string;
  const raw = Buffer.concat([randomBytes(3 << 20), Buffer.from("INSERT INTO t VALUES (42);\n".repeat(40_000))]);

  beforeAll(async () => {
    identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
  });
  beforeEach(() => {
    dir = makeTempDir("age-tool");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const backup = (runId: string, tools: { agePath?: string } = {}) =>
    runPipeline({
      dump: handleOf(Readable.from([raw.subarray(0, 1 << 20), raw.subarray(1 << 20)])),
      runDir: dir,
      runId,
      clock: new ManualClock(),
      compression: { codec: "gzip", level: 1 },
      extension: ".sql.gz.age",
      encryption: { recipient },
      tools,
    });

  it("stages with the tool an artifact the library decrypts", async () => {
    const a = await backup("run_tool");
    const plain = await buffer(await openDecrypted(fs.createReadStream(a.stagingPath), identity));
    expect(zlib.gunzipSync(plain).equals(raw)).toBe(true);
    expect(a.sizeBytes).toBe(fs.statSync(a.stagingPath).size);
  });

  it("stages with the library (no tool installed) an artifact the tool decrypts", async () => {
    const a = await backup("run_lib", { agePath: path.join(dir, "no-such-age") });
    expect(zlib.gunzipSync(toolDecrypt(a.stagingPath, identity, dir)).equals(raw)).toBe(true);
  });

  it("refuses a recipient whose checksum is wrong, VALIDATION_FAILED as the library does, nothing staged", async () => {
    const bad = recipient.slice(0, -1) + (recipient.endsWith("q") ? "p" : "q");
    const err = (await runPipeline({
      dump: handleOf(Readable.from([raw])),
      runDir: dir,
      runId: "run_bad",
      clock: new ManualClock(),
      compression: { codec: "none", level: null },
      encryption: { recipient: bad },
    }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.details).toEqual({ field: "encryption.recipient" });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("fails the run when the age child is killed mid-stream, and leaves no file (pipefail)", async () => {
    const { err, left } = await pipelineWithKilledChild(dir, "age", { compression: { codec: "none", level: null }, extension: ".sql.age", encryption: { recipient } });
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ tool: "age", signal: "SIGKILL" });
    expect(left).toEqual([]);
  });
});

describe("the preflight's word on the age tool", () => {
  const encryption = { recipient: "age1xlu98492nj3058l6dyxpgf2r7d9xwfhu6g8g04kcem53cefyh48sfmwat8" };

  it("warns (does not block) when a run encrypts and the tool does not answer", async () => {
    expect(await encryptionToolIssue({ encryption }, "/nonexistent/age")).toMatchObject({ code: "AGE_TOOL_MISSING" });
    expect(await encryptionToolIssue({ encryption: undefined }, "/nonexistent/age")).toBeNull();
  });

  it.skipIf(!hasTool)("says nothing when the tool is installed", async () => {
    expect(await encryptionToolIssue({ encryption })).toBeNull();
  });
});
