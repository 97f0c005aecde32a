import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { HoldfastError, type S3DestinationConfig } from "@holdfast/shared";
import { notFound, reasonOf, sourceFailed, watchSource } from "./failures.js";
import { probeDestination } from "./probe.js";
import { nameSegments, splitPrefix } from "./relative-name.js";
import { isS3NotFound, newS3Client, s3Failure } from "./s3-client.js";
import { assertObjectLockEnabled, deleteEveryVersion, deleteObject, lockParams, retainUntil } from "./s3-object-lock.js";
import type { Destination, ObjectEntry, PutResult } from "./types.js";

const MIB = 1024 * 1024;
/** S3 allows 10,000 parts: without a size hint 16 MiB parts reach 160 GB; with one, parts grow to fit. */
const DEFAULT_PART = 16 * MIB;
const MAX_PARTS = 9_000;
/** Parts uploaded at once: memory holds about QUEUE × part size, whatever the artifact's size. */
const QUEUE = 4;

/** Part size for an artifact of `bytes` (when known): at least 8 MiB, few enough parts for S3's limit. */
export function partSizeFor(bytes: number | undefined): number {
  if (bytes === undefined) return DEFAULT_PART;
  return Math.max(8 * MIB, Math.ceil(bytes / MAX_PARTS / MIB) * MIB);
}

/**
 * A bucket (and key prefix) on AWS S3 or an S3-compatible server. With `config.objectLock`, every
 * object is written under S3 Object Lock (its mode, a retain-until date `days` later: `put` answers
 * it), `delete` removes every version of the key (s3-object-lock.ts), and `test` first checks that
 * the bucket has Object Lock enabled.
 */
export function s3Destination(config: S3DestinationConfig): Destination {
  const base = config.prefix.replace(/^\/+|\/+$/g, "");
  const keyOf = (name: string) => (base ? `${base}/${name}` : name);
  const nameOf = (key: string) => (base ? key.slice(base.length + 1) : key);

  /** One client per operation, destroyed after it: no socket outlives the call. */
  async function withClient<T>(action: string, fn: (client: S3Client) => Promise<T>): Promise<T> {
    const client = newS3Client(config);
    try {
      return await fn(client);
    } catch (err) {
      throw s3Failure(err, action);
    } finally {
      client.destroy();
    }
  }

  /**
   * A multipart upload, streamed part by part (lib-storage's Upload; a small artifact is one
   * PutObject). S3 shows an object only once it is complete, so nothing half-written is ever
   * visible under the key. A failed upload is aborted so its parts do not linger (lib-storage does
   * it; a server without AbortMultipartUpload leaves them to the bucket's lifecycle rules). Under
   * Object Lock the lock travels on the PutObject or the CreateMultipartUpload (lib-storage hands
   * its params to both); `locked: false` writes the probe without one, so it can be deleted.
   */
  async function put(stream: Readable, relativeName: string, opts: { bytes?: number } | undefined, locked: boolean): Promise<PutResult> {
    const source = watchSource(stream);
    try {
      nameSegments(relativeName);
    } catch (err) {
      stream.destroy();
      throw err;
    }
    const key = keyOf(relativeName);
    let bytes = 0;
    const counter = new Transform({
      readableHighWaterMark: MIB,
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    // A source error destroys the counter, which fails the upload reading it.
    const piping = pipeline(stream, counter).catch(() => {});
    const client = newS3Client(config);
    const lockedUntil = locked && config.objectLock ? retainUntil(config.objectLock, new Date()) : undefined;
    const upload = new Upload({
      client,
      params: {
        Bucket: config.bucket,
        Key: key,
        Body: counter,
        ...(config.storageClass ? { StorageClass: config.storageClass as never } : {}),
        // The probe too: a bucket's default retention locks it, and S3 then wants the checksum as well.
        ...(config.objectLock ? lockParams(config.objectLock, lockedUntil) : {}),
      },
      partSize: partSizeFor(opts?.bytes),
      queueSize: QUEUE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      const failure = source.failure();
      stream.destroy();
      counter.destroy();
      if (failure) {
        const error = sourceFailed(failure);
        // The abort (or the upload) failed differently: say so, parts may be left on the server.
        if (err !== failure && error.details) error.details.cleanup = reasonOf(err);
        throw error;
      }
      throw s3Failure(err, `Uploading ${relativeName}`);
    } finally {
      client.destroy();
    }
    await piping;
    return { path: `s3://${config.bucket}/${key}`, bytes, ...(lockedUntil ? { lockedUntil } : {}) };
  }

  /** Deletes the key: every version of it under Object Lock, else a plain DeleteObject. */
  async function remove(relativeName: string, everyVersion: boolean): Promise<void> {
    nameSegments(relativeName);
    const key = keyOf(relativeName);
    await withClient(`Deleting ${relativeName}`, (client) =>
      everyVersion ? deleteEveryVersion(client, config.bucket, key, relativeName) : deleteObject(client, config.bucket, key, relativeName),
    );
  }

  const self: Destination = {
    put: (stream, relativeName, opts) => put(stream, relativeName, opts, true),

    async stat(relativeName) {
      nameSegments(relativeName);
      return withClient(`Reading ${relativeName}`, async (client) => {
        try {
          const head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: keyOf(relativeName) }));
          return { bytes: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
        } catch (err) {
          if (isS3NotFound(err)) return null;
          throw err;
        }
      });
    },

    async list(prefix) {
      splitPrefix(prefix);
      const full = keyOf(prefix);
      return withClient(`Listing ${prefix || "the bucket"}`, async (client) => {
        const entries: ObjectEntry[] = [];
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: config.bucket, ...(full ? { Prefix: full } : {}), ...(token ? { ContinuationToken: token } : {}) }),
          );
          for (const o of page.Contents ?? []) {
            if (o.Key) entries.push({ name: nameOf(o.Key), bytes: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      });
    },

    delete: (relativeName) => remove(relativeName, config.objectLock !== undefined),

    async get(relativeName, opts = {}) {
      nameSegments(relativeName);
      const client = newS3Client(config);
      try {
        const range = opts.start ? { Range: `bytes=${opts.start}-` } : {};
        const res = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: keyOf(relativeName), ...range }));
        if (!(res.Body instanceof Readable)) throw new HoldfastError("DELIVERY_FAILED", `Reading ${relativeName}: the S3 answer has no body`);
        // The client lives as long as its body streams.
        res.Body.once("close", () => client.destroy());
        return res.Body;
      } catch (err) {
        client.destroy();
        if (isS3NotFound(err)) throw notFound(relativeName);
        throw s3Failure(err, `Reading ${relativeName}`);
      }
    },

    async test(opts) {
      if (!config.objectLock) return probeDestination(self, opts?.probeName);
      await withClient("Checking Object Lock", (client) => assertObjectLockEnabled(client, config.bucket));
      // The probe is written unlocked so it can go; a bucket whose default retention locks it anyway
      // gets a delete marker over it (the locked version goes with the bucket's own rules).
      return probeDestination(
        {
          ...self,
          put: (stream, name, o) => put(stream, name, o, false),
          async delete(name) {
            try {
              await remove(name, true);
            } catch (err) {
              if (!(err instanceof HoldfastError && err.code === "DESTINATION_OBJECT_LOCKED")) throw err;
              await remove(name, false);
            }
          },
        },
        opts?.probeName,
      );
    },

    // S3 has no notion of free space.
    freeSpace: async () => null,
  };
  return self;
}
