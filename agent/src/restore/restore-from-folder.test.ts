import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type ArtifactSidecar, HoldfastError, partFileName } from "@holdfast/shared";
import type { Engine, EngineRegistry } from "../engines/types.js";
import { makeTempDir } from "../testing/helpers.js";
import { readIdentityFile } from "./read-identity-file.js";
import { restoreFromFolder, verifyFromFolder } from "./restore-from-folder.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const NAME = "ds_1/2026/12/20261207T050000Z_run_1.sql.gz";

/** An engine that only records what it was handed: "touched" is whether a restore reached it. */
function recordingEngine() {
  const seen = { touched: false, bytes: Buffer.alloc(0), opts: undefined as unknown };
  const engine = {
    engine: "postgres",
    async restore(artifact: Readable, _target: unknown, opts: unknown) {
      seen.touched = true;
      seen.opts = opts;
      const chunks: Buffer[] = [];
      for await (const c of artifact) chunks.push(c as Buffer);
      seen.bytes = Buffer.concat(chunks);
      return { warnings: [] };
    },
  } as unknown as Engine;
  return { seen, engines: { postgres: engine } as EngineRegistry };
}

/** Writes `data` as a delivered artifact: whole, or split every `partBytes`, with its sidecar. */
function deliver(root: string, data: Buffer, opts: { partBytes?: number; encrypted?: boolean; recipient?: string } = {}): string {
  const base = path.join(root, NAME);
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const name = path.basename(base) + (opts.encrypted ? ".age" : "");
  const file = path.join(path.dirname(base), name);
  let parts: ArtifactSidecar["parts"] = null;
  if (opts.partBytes) {
    const count = Math.ceil(data.length / opts.partBytes);
    parts = Array.from({ length: count }, (_, i) => {
      const slice = data.subarray(i * opts.partBytes!, (i + 1) * opts.partBytes!);
      const partName = partFileName(name, i + 1, count);
      fs.writeFileSync(path.join(path.dirname(base), partName), slice);
      return { index: i + 1, name: partName, offset: i * opts.partBytes!, sizeBytes: slice.length, sha256: sha(slice) };
    });
  } else {
    fs.writeFileSync(file, data);
  }
  const sidecar: ArtifactSidecar = {
    holdfastSidecar: 1,
    runId: "run_1",
    datasourceId: "ds_1",
    engine: "postgres",
    fileName: `run_1${opts.encrypted ? ".sql.gz.age" : ".sql.gz"}`,
    sha256: sha(data),
    sizeBytes: data.length,
    rawSizeBytes: null,
    format: "plain",
    codec: "gzip",
    level: null,
    serverVersion: null,
    createdAt: "2026-12-07T05:00:00.000Z",
    finishedAt: "2026-12-07T05:00:10.000Z",
    encrypted: opts.encrypted ?? false,
    recipient: opts.recipient ?? null,
    parts,
  };
  fs.writeFileSync(`${file}.json`, JSON.stringify(sidecar, null, 2));
  return parts ? path.join(path.dirname(base), parts[0]!.name) : file;
}

const target = { engine: "postgres" as const, connection: { host: "127.0.0.1", port: 5432, database: "target", username: "postgres" } };

async function refusal(p: Promise<unknown>): Promise<HoldfastError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HoldfastError);
  return err as HoldfastError;
}

describe("restore and verify from a local folder (no control plane)", () => {
  const tmp = makeTempDir("dr");
  let root: string;
  let rig: ReturnType<typeof recordingEngine>;
  const data = randomBytes(300_000);
  const restore = (from: string, extra: { identity?: string; overwrite?: boolean } = {}) =>
    restoreFromFolder(from, { target, engines: rig.engines, overwrite: extra.overwrite ?? false, identity: extra.identity, signal: new AbortController().signal });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(tmp, "folder-"));
    rig = recordingEngine();
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("joins the parts in order, from the first part's path, into the engine with the sidecar's format and codec", async () => {
    const first = deliver(root, data, { partBytes: 100_000 });
    expect(first.endsWith(".sql.gz.part0001")).toBe(true);
    const lines: string[] = [];
    const done = await restoreFromFolder(first, { target, engines: rig.engines, overwrite: true, signal: new AbortController().signal, progress: (l) => lines.push(l) });
    expect(done.artifact.files).toHaveLength(3);
    expect(rig.seen.bytes.equals(data)).toBe(true);
    expect(rig.seen.opts).toMatchObject({ format: "plain", codec: "gzip", overwrite: true });
    expect(lines).toContain("verify: part 3 of 3 matches its SHA-256 (100000 bytes)");
    expect(lines.some((l) => l.startsWith("restore: plain (gzip) into"))).toBe(true);
  });

  it("hands a whole server's choices to the engine (databases, renames, globals), and refuses bad renames before it", async () => {
    const file = deliver(root, data);
    const chosen = { databases: { include: ["shop*"] }, rename: { shop: "shop_copy" } };
    await restoreFromFolder(file, { target, engines: rig.engines, overwrite: false, globals: true, ...chosen, signal: new AbortController().signal });
    expect(rig.seen.opts).toMatchObject({ globals: true, ...chosen });
    const fresh = recordingEngine();
    const err = await refusal(restoreFromFolder(file, { target, engines: fresh.engines, overwrite: false, rename: { a: "x", b: "x" }, signal: new AbortController().signal }));
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(fresh.seen.touched).toBe(false);
  });

  it("verify answers the same checks from the artifact, its part or its sidecar", async () => {
    const first = deliver(root, data, { partBytes: 128_000 });
    for (const from of [first, first.replace(/\.part0001$/, ""), first.replace(/\.part0001$/, ".json")]) {
      const ok = await verifyFromFolder(from);
      expect(ok.sidecar.sha256).toBe(sha(data));
    }
  });

  it("refuses without a sidecar, naming it, and never reaches the engine", async () => {
    const first = deliver(root, data, { partBytes: 100_000 });
    fs.rmSync(first.replace(/\.part0001$/, ".json"));
    const err = await refusal(restore(first));
    expect(err.code).toBe("ARTIFACT_NOT_FOUND");
    expect(err.message).toContain("No sidecar");
    expect(rig.seen.touched).toBe(false);
  });

  it("refuses a sidecar that is not one (schema), and never reaches the engine", async () => {
    const first = deliver(root, data);
    fs.writeFileSync(`${first}.json`, JSON.stringify({ holdfastSidecar: 1, runId: "run_1" }));
    expect((await refusal(restore(first))).code).toBe("VALIDATION_FAILED");
    expect(rig.seen.touched).toBe(false);
  });

  it("refuses when a part is missing, naming it", async () => {
    const first = deliver(root, data, { partBytes: 100_000 });
    fs.rmSync(first.replace(/part0001$/, "part0002"));
    const err = await refusal(restore(first));
    expect(err.code).toBe("ARTIFACT_NOT_FOUND");
    expect(err.message).toContain("part 2 of 3 is missing");
    expect(rig.seen.touched).toBe(false);
    expect((await refusal(verifyFromFolder(first))).code).toBe("ARTIFACT_NOT_FOUND");
  });

  it("refuses parts listed out of order, or with a gap", async () => {
    const first = deliver(root, data, { partBytes: 100_000 });
    const sidecarFile = first.replace(/\.part0001$/, ".json");
    const sidecar = JSON.parse(fs.readFileSync(sidecarFile, "utf8")) as ArtifactSidecar;
    const [a, b, c] = sidecar.parts!;
    fs.writeFileSync(sidecarFile, JSON.stringify({ ...sidecar, parts: [a, c, b] }));
    expect((await refusal(restore(first))).message).toContain("out of order");
    fs.writeFileSync(sidecarFile, JSON.stringify({ ...sidecar, parts: [a, b, { ...c!, offset: c!.offset + 1 }] }));
    expect((await refusal(restore(first))).message).toContain("gap or overlap at part 3 of 3");
    expect(rig.seen.touched).toBe(false);
  });

  it("refuses a part whose content was altered (one byte flipped, same size), before the target is touched", async () => {
    const first = deliver(root, data, { partBytes: 100_000 });
    const last = first.replace(/part0001$/, "part0003");
    const bytes = fs.readFileSync(last);
    bytes[bytes.length - 1]! ^= 0xff;
    fs.writeFileSync(last, bytes);
    const err = await refusal(restore(first, { overwrite: true }));
    expect(err.code).toBe("CHECKSUM_MISMATCH");
    expect(err.message).toContain("part 3 of 3 does not match its SHA-256");
    expect(rig.seen.touched).toBe(false);
    expect((await refusal(verifyFromFolder(first))).code).toBe("CHECKSUM_MISMATCH");
  });

  it("refuses a part of another size, and a whole artifact whose SHA-256 differs", async () => {
    const whole = deliver(root, data);
    fs.appendFileSync(whole, "x");
    expect((await refusal(restore(whole))).message).toContain(`has ${data.length + 1} bytes, not ${data.length}`);
    fs.writeFileSync(whole, randomBytes(data.length));
    expect((await refusal(restore(whole))).code).toBe("CHECKSUM_MISMATCH");
    expect(rig.seen.touched).toBe(false);
  });

  it("refuses a target of another engine", async () => {
    const first = deliver(root, data);
    const err = await refusal(restoreFromFolder(first, { target: { engine: "sqlite", connection: { path: "/tmp/x.db" } }, engines: rig.engines, overwrite: false, signal: new AbortController().signal }));
    expect(err.message).toContain("is a postgres backup; the target is sqlite");
  });

  describe("encrypted", () => {
    let identity: string;
    let sealed: Buffer;
    beforeEach(async () => {
      identity = await generateX25519Identity();
      const encrypter = new Encrypter();
      encrypter.addRecipient(await identityToRecipient(identity));
      sealed = Buffer.from(await encrypter.encrypt(data));
    });

    it("decrypts with the identity and hands the engine the plaintext", async () => {
      const first = deliver(root, sealed, { partBytes: 120_000, encrypted: true });
      await restore(first, { identity });
      expect(rig.seen.bytes.equals(data)).toBe(true);
    });

    it("refuses without an identity, or with another one, before the target is touched", async () => {
      const first = deliver(root, sealed, { partBytes: 120_000, encrypted: true });
      const missing = await refusal(restore(first));
      expect(missing.code).toBe("DECRYPTION_FAILED");
      expect(missing.message).toContain("--identity-file");
      const wrong = await refusal(restore(first, { identity: await generateX25519Identity() }));
      expect(wrong.code).toBe("DECRYPTION_FAILED");
      expect(rig.seen.touched).toBe(false);
    });
  });

  describe("identity file", () => {
    it("reads age-keygen's format and refuses one that group or others may read", async () => {
      const key = await generateX25519Identity();
      const file = path.join(root, "key.txt");
      fs.writeFileSync(file, `# created: 2026-12-07T05:00:00Z\n# public key: ${await identityToRecipient(key)}\n${key}\n`, { mode: 0o600 });
      expect(await readIdentityFile(file)).toBe(key);
      fs.chmodSync(file, 0o644);
      const err = await refusal(readIdentityFile(file));
      expect(err.message).toContain("readable by group or others (mode 644): chmod 600 it");
      expect(err.message).not.toContain(key);
    });
  });
});
