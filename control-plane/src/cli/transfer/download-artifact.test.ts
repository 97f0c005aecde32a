import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "../remote/cli-error.js";
import { downloadArtifact } from "./download-artifact.js";

const artifact = randomBytes(300_000);
const sha256 = createHash("sha256").update(artifact).digest("hex");

/** The artifact route's headers and Range answers; `stallAfter` bytes of a whole answer are sent, then nothing. */
function fakeControlPlane(stallAfter: number | null): Promise<{ url: string; server: Server; ranges: (string | undefined)[] }> {
  const ranges: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    const headers = { etag: `"${sha256}"`, "x-holdfast-sha256": sha256, "accept-ranges": "bytes" };
    if (req.method === "HEAD") {
      res.writeHead(200, { ...headers, "content-length": String(artifact.length) }).end();
      return;
    }
    ranges.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m && req.headers["if-range"] === `"${sha256}"`) {
      const from = Number(m[1]);
      res.writeHead(206, { ...headers, "content-length": String(artifact.length - from), "content-range": `bytes ${from}-${artifact.length - 1}/${artifact.length}` }).end(artifact.subarray(from));
      return;
    }
    res.writeHead(200, { ...headers, "content-length": String(artifact.length) });
    if (stallAfter === null) res.end(artifact);
    else res.write(artifact.subarray(0, stallAfter)); // and then silence
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, ranges })));
}

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

describe("runs download", () => {
  it("gives up on a silent stream, keeps the partial, and the next try fetches only the rest", async () => {
    const cp = await fakeControlPlane(100_000);
    server = cp.server;
    const conn = { server: cp.url, token: "hf_api_test" };
    const file = join(mkdtempSync(join(tmpdir(), "hf-dl-")), "a.sql.gz");
    const cut = await downloadArtifact(conn, "run_a", file, { idleMs: 300 }).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(CliError);
    expect((cut as CliError).message).toMatch(/cut at 100000 of 300000 bytes \(nothing came for 0 s\): run the same command again to resume/);
    expect(statSync(`${file}.partial`).size).toBe(100_000);
    expect(existsSync(file)).toBe(false);

    const done = await downloadArtifact(conn, "run_a", file, { idleMs: 300 });
    expect(done).toMatchObject({ sha256, sizeBytes: 300_000, resumedFrom: 100_000, transferredBytes: 200_000 });
    expect(cp.ranges).toEqual([undefined, "bytes=100000-"]);
    expect(readFileSync(file).equals(artifact)).toBe(true);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
