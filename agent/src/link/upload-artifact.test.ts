import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeTempDir } from "../testing/helpers.js";
import { findGrowing, forgetGrowing, trackGrowing, type GrowingWriter } from "../staging/growing-artifact.js";
import { openPartial } from "../staging/partial-file.js";
import { uploadArtifact } from "./upload-artifact.js";

describe("uploadArtifact", () => {
  const dir = makeTempDir("upload");
  const file = path.join(dir, "run_1.sql.gz");
  const content = randomBytes(3 * 1024 * 1024 + 17);
  const received: { url?: string; method?: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    received.push({ url: req.url, method: req.method, headers: req.headers, body });
    res.writeHead(204, { "upload-offset": String(Number(req.headers["upload-offset"]) + body.length) });
    res.end();
  });
  let serverUrl: string;

  beforeAll(async () => {
    fs.writeFileSync(file, content);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("PATCHes the file from the offset with the token in the header, never in the URL", async () => {
    const offset = 1024 * 1024 + 5;
    const token = "tok_".padEnd(48, "z");
    const result = await uploadArtifact({ serverUrl, runId: "run_1", path: file, offset, sizeBytes: content.length, uploadToken: token });
    expect(result).toEqual({ status: 204, serverOffset: content.length });
    const req = received.at(-1)!;
    expect(req.method).toBe("PATCH");
    expect(req.url).toBe("/agent/v1/artifacts/run_1");
    expect(req.url).not.toContain(token);
    expect(req.headers).toMatchObject({
      authorization: `Bearer ${token}`,
      "upload-offset": String(offset),
      "upload-length": String(content.length),
      "content-type": "application/offset+octet-stream",
      "content-length": String(content.length - offset),
    });
    expect(req.body.equals(content.subarray(offset))).toBe(true);
  });

  it("gives up on a control plane that stops reading, instead of waiting for ever", async () => {
    // A server that accepts the request and then neither reads its body nor answers.
    const sockets: import("node:net").Socket[] = [];
    const stalled = http.createServer((req) => {
      req.pause();
      sockets.push(req.socket);
    });
    await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
      const upload = uploadArtifact({ serverUrl: url, runId: "run_1", path: file, offset: 0, sizeBytes: content.length, uploadToken: "t".repeat(40), idleTimeoutMs: 300 });
      await expect(upload).rejects.toMatchObject({ code: "AGENT_TIMEOUT" });
    } finally {
      for (const s of sockets) s.destroy();
      stalled.close();
    }
  });
});

describe("uploadArtifact of a file still being staged", () => {
  const dir = makeTempDir("upload-growing");
  const bodies: { headers: http.IncomingHttpHeaders; body: Buffer; aborted: boolean }[] = [];
  let requests = 0;
  const server = http.createServer(async (req, res) => {
    requests += 1;
    const chunks: Buffer[] = [];
    let aborted = false;
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      aborted = true;
    }
    bodies.push({ headers: req.headers, body: Buffer.concat(chunks), aborted });
    if (!aborted) res.writeHead(204).end();
  });
  let serverUrl: string;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `pieces` one after the other, each once the previous reached the file. */
  async function writeAll(partial: Awaited<ReturnType<typeof openPartial>>, pieces: Buffer[]): Promise<void> {
    for (const p of pieces) await new Promise<void>((resolve, reject) => partial.stream.write(p, (err) => (err ? reject(err) : resolve())));
  }

  it("follows the file as the writer appends and ends with the committed bytes, from an offset too", async () => {
    const runId = "run_grow";
    const pieces = Array.from({ length: 6 }, () => randomBytes(700_001));
    const whole = Buffer.concat(pieces);
    let writer!: GrowingWriter;
    const partial = await openPartial(dir, runId, ".bin", (n) => writer?.wrote(n));
    writer = trackGrowing(runId, partial.partialPath);
    await writeAll(partial, pieces.slice(0, 2));
    const offset = 123_457;
    // The upload starts with two pieces written and goes on as the rest arrives.
    const upload = uploadArtifact({ serverUrl, runId, path: partial.partialPath, offset, sizeBytes: 0, uploadToken: "t".repeat(40), growing: findGrowing(runId)! });
    await writeAll(partial, pieces.slice(2));
    await new Promise<void>((r) => partial.stream.end(r));
    await partial.commit();
    writer.committed(partial.finalPath, whole.length, createHash("sha256").update(whole).digest("hex"));
    expect(await upload).toMatchObject({ status: 204 });
    const got = bodies.at(-1)!;
    expect(got.headers["content-length"]).toBeUndefined();
    expect(got.body.equals(whole.subarray(offset))).toBe(true);
    forgetGrowing(runId);
  });

  it("stops sending when the control plane answers before the body ends (413 past the spool's reservation), and returns its answer", async () => {
    // Like the control plane: reads up to its limit, answers 413, and then neither reads on nor
    // closes the connection, so only the agent can end the upload.
    let closed!: Promise<void>;
    let held!: http.IncomingMessage;
    const limited = http.createServer((req, res) => {
      let seen = 0;
      held = req;
      closed = new Promise((resolve) => req.socket.once("close", () => resolve()));
      req.on("data", (c: Buffer) => {
        seen += c.length;
        if (seen < 500_000 || res.headersSent) return;
        req.pause();
        res.writeHead(413, { "content-type": "application/json" }).end('{"error":{"code":"PAYLOAD_TOO_LARGE"}}');
      });
    });
    await new Promise<void>((r) => limited.listen(0, "127.0.0.1", r));
    const runId = "run_outgrown";
    let writer!: GrowingWriter;
    const partial = await openPartial(dir, runId, ".bin", (n) => writer?.wrote(n));
    writer = trackGrowing(runId, partial.partialPath);
    try {
      await writeAll(partial, [randomBytes(400_000), randomBytes(400_000)]);
      const url = `http://127.0.0.1:${(limited.address() as AddressInfo).port}`;
      // The file goes on growing and is not committed while the answer comes: only the answer can end the upload.
      const upload = uploadArtifact({ serverUrl: url, runId, path: partial.partialPath, offset: 0, sizeBytes: 0, uploadToken: "t".repeat(40), growing: findGrowing(runId)! });
      void writeAll(partial, [randomBytes(400_000)]);
      expect(await upload).toEqual({ status: 413, serverOffset: null });
      // The agent closed the connection: the server, reading again, finds it gone.
      held.resume();
      await closed;
    } finally {
      writer.failed(new Error("test over"));
      await partial.discard();
      forgetGrowing(runId);
      limited.close();
    }
  });

  it("aborts the request when the pipeline fails halfway: the server never sees a finished body", async () => {
    const runId = "run_fail";
    let writer!: GrowingWriter;
    const partial = await openPartial(dir, runId, ".bin", (n) => writer?.wrote(n));
    writer = trackGrowing(runId, partial.partialPath);
    await writeAll(partial, [randomBytes(300_000)]);
    const seen = bodies.length;
    const before = requests;
    const upload = uploadArtifact({ serverUrl, runId, path: partial.partialPath, offset: 0, sizeBytes: 0, uploadToken: "t".repeat(40), growing: findGrowing(runId)! }).then(
      () => null,
      (err: unknown) => err,
    );
    // Halfway: the control plane is receiving when the dump fails.
    await vi.waitFor(() => expect(requests).toBe(before + 1), { timeout: 5000 });
    await writeAll(partial, [randomBytes(300_000)]);
    writer.failed(new Error("pg_dump exited 1"));
    await partial.discard();
    expect(await upload).toMatchObject({ message: expect.stringContaining("pg_dump exited 1") });
    await vi.waitFor(() => expect(bodies.length).toBe(seen + 1), { timeout: 5000 });
    expect(bodies.at(-1)!.aborted).toBe(true);
    forgetGrowing(runId);
  });
});
