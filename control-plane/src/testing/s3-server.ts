// s3rver ships no types: the part used here is declared beside it.
/// <reference path="./s3rver.d.ts" />
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** s3rver's account registry: each test server gets its own key pair (the built-in one's id equals its secret). */
const require = createRequire(import.meta.url);
const accounts = require("s3rver/lib/models/account.js") as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
};
/** s3rver's own error, rendered as S3's XML error document with its status. */
const S3Error = require("s3rver/lib/models/error.js") as new (code: string, message: string) => Error;

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`: path-style only (`forcePathStyle: true`). */
  endpoint: string;
  bucket: string;
  /** This server's key pair; any other key id is refused with InvalidAccessKeyId. */
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * A second key pair that may write, read and list but not delete: its DeleteObject (and
   * DeleteObjects) are answered 403 AccessDenied, as S3 answers credentials whose IAM policy lacks
   * s3:DeleteObject. s3rver has no policies: a middleware in front of its routes does it.
   */
  writeOnly: { accessKeyId: string; secretAccessKey: string };
  /** `METHOD /path?query` of every request served, in order: shows whether an upload went multipart. */
  requests: string[];
  /** Where s3rver keeps the objects. */
  dir: string;
  /** A ready S3 destination config for this server. */
  config(extra?: Record<string, unknown>): {
    endpoint: string;
    region: string;
    bucket: string;
    prefix: string;
    forcePathStyle: boolean;
    accessKeyId: string;
    secretAccessKey: string;
  };
  stop(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver) on a random loopback port, storing into a temp folder, with
 * one bucket. Reusable by the end-to-end suites. Its limits: it lacks AbortMultipartUpload (it
 * answers MethodNotAllowed), so an aborted upload's parts stay in its folder; and it checks that a
 * SigV4 access key exists but not the signature, so a wrong secret is accepted.
 */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = opts.bucket ?? "holdfast-test";
  const dir = await mkdtemp(join(tmpdir(), "holdfast-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const writeOnly = { accessKeyId: `HFWO${randomBytes(6).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(30).toString("base64url") };
  server.middleware.unshift(async (ctx, next) => {
    const deleting = (ctx.method === "DELETE" && !("uploadId" in ctx.query)) || (ctx.method === "POST" && "delete" in ctx.query);
    if (deleting && ctx.get("authorization").includes(`Credential=${writeOnly.accessKeyId}/`)) throw new S3Error("AccessDenied", "Access Denied");
    await next();
  });
  const { port } = await server.run();
  const requests: string[] = [];
  server.httpServer.on("request", (req: { method?: string; url?: string }) => requests.push(`${req.method} ${req.url}`));
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = `HFTEST${randomBytes(6).toString("hex").toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString("base64url");
  accounts.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  accounts.DUMMY_ACCOUNT.createKeyPair(writeOnly.accessKeyId, writeOnly.secretAccessKey);
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    writeOnly,
    requests,
    dir,
    config: (extra = {}) => ({
      endpoint,
      region: "us-east-1",
      bucket,
      prefix: "",
      forcePathStyle: true,
      accessKeyId,
      secretAccessKey,
      ...extra,
    }),
    async stop() {
      accounts.DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
      accounts.DUMMY_ACCOUNT.revokeAccessKey(writeOnly.accessKeyId);
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
