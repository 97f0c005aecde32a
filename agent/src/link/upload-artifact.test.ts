import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../testing/helpers.js";
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
