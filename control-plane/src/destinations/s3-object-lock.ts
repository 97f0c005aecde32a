import { DeleteObjectCommand, GetObjectLockConfigurationCommand, HeadObjectCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { HoldfastError, type ObjectLockConfig } from "@holdfast/shared";
import { reasonOf } from "./failures.js";
import { isS3NotFound, s3Failure } from "./s3-client.js";

const DAY_MS = 86_400_000;

/**
 * The retain-until date of an object written now: `days` later, rounded up to the second (the
 * header's precision), so Holdfast never counts an object unlocked before S3 does.
 */
export function retainUntil(lock: ObjectLockConfig, now: Date): Date {
  return new Date(Math.ceil((now.getTime() + lock.days * DAY_MS) / 1000) * 1000);
}

/**
 * What a PutObject or CreateMultipartUpload carries under Object Lock. S3 requires an integrity
 * checksum on such an upload (Content-MD5 or x-amz-sdk-checksum-algorithm with its x-amz-checksum-*
 * header, PutObject and UploadPart). The SDK adds CRC32 by itself only where it calculates checksums
 * "when supported" (AWS); for an S3-compatible endpoint `s3-client.ts` turns that down to "when
 * required", and PutObject does not require one, so the algorithm is named here: the SDK then sends
 * x-amz-checksum-crc32 on a PutObject and on every UploadPart, and lib-storage passes it to
 * CreateMultipartUpload and CompleteMultipartUpload. Without `until` (the probe), the checksum alone:
 * a bucket's default retention locks an object written without a lock of its own, and S3 wants the
 * checksum then too.
 */
export function lockParams(lock: ObjectLockConfig, until: Date | undefined) {
  return { ChecksumAlgorithm: "CRC32" as const, ...(until ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: until } : {}) };
}

function disabled(bucket: string, reason: string): HoldfastError {
  return new HoldfastError(
    "DESTINATION_OBJECT_LOCK_DISABLED",
    `config.objectLock: the bucket ${bucket} does not have S3 Object Lock enabled (${reason})`,
    { field: "config.objectLock", reason },
  );
}

/**
 * Refuses a bucket without Object Lock enabled (GetObjectLockConfiguration): S3 would otherwise
 * refuse every locked upload, or, where a server ignores the headers, keep nothing locked.
 * `ObjectLockConfigurationNotFoundError` is S3's answer for such a bucket; a server that does not
 * implement the call (501 NotImplemented, s3rver) has none either.
 */
export async function assertObjectLockEnabled(client: S3Client, bucket: string): Promise<void> {
  let enabled: string | undefined;
  try {
    const res = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    enabled = res.ObjectLockConfiguration?.ObjectLockEnabled;
  } catch (err) {
    const name = (err as Error).name;
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === "ObjectLockConfigurationNotFoundError" || name === "NotImplemented" || status === 501 || (status === 404 && name !== "NoSuchBucket")) {
      throw disabled(bucket, reasonOf(err));
    }
    throw s3Failure(err, `Reading the Object Lock configuration of bucket ${bucket}`);
  }
  if (enabled !== "Enabled") throw disabled(bucket, `ObjectLockEnabled is ${JSON.stringify(enabled ?? null)}`);
}

const isAccessDenied = (err: unknown) => (err as Error).name === "AccessDenied";

/** Credentials that may not delete: retention keeps the object and says so (retention/deletable.ts). */
export function deleteDenied(name: string, err: unknown, what = "DeleteObject"): HoldfastError {
  return new HoldfastError("DESTINATION_DELETE_DENIED", `Deleting ${name}: the credentials may not delete (AccessDenied on ${what})`, { reason: reasonOf(err), name });
}

/** An AccessDenied on deleting one version: a lock still holding it, or credentials that may not. */
async function refusal(client: S3Client, bucket: string, key: string, name: string, versionId: string, err: unknown, now: Date): Promise<HoldfastError> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    const until = head.ObjectLockRetainUntilDate;
    if (head.ObjectLockLegalHoldStatus === "ON" || (until && until.getTime() > now.getTime())) {
      const lockedUntil = until && until.getTime() > now.getTime() ? until.toISOString() : null;
      return new HoldfastError(
        "DESTINATION_OBJECT_LOCKED",
        `Deleting ${name}: S3 Object Lock holds it ${lockedUntil ? `until ${lockedUntil}` : "(a legal hold)"}`,
        { name, versionId, lockedUntil, mode: head.ObjectLockMode ?? null, legalHold: head.ObjectLockLegalHoldStatus === "ON" },
      );
    }
  } catch {
    // The head is only a hint: the refusal itself is the answer.
  }
  return deleteDenied(name, err);
}

/**
 * Deletes every version of one key, for a destination under Object Lock. Such a bucket is always
 * versioned, and there a plain DeleteObject only adds a delete marker: it succeeds even on a locked
 * object and frees nothing. Holdfast owns the key (its own object name), so each of its versions
 * (and delete markers) is deleted by version id; S3 refuses a version still locked with
 * AccessDenied, which the version's own retain-until date tells apart from credentials that may
 * not delete (s3:DeleteObjectVersion). A key with no version is no error.
 */
export async function deleteEveryVersion(client: S3Client, bucket: string, key: string, name: string, now = new Date()): Promise<void> {
  const versions: string[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(
        new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}) }),
      );
    } catch (err) {
      if (isAccessDenied(err)) throw deleteDenied(name, err, "ListObjectVersions");
      throw err;
    }
    // The prefix also matches the sidecar and parts (`<key>.json`, `<key>.part0001`): only this key.
    const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])];
    for (const v of entries) if (v.Key === key && v.VersionId) versions.push(v.VersionId);
    // Keys come in order, this one first: once a page reaches past it, the rest are other keys.
    const pastKey = entries.some((v) => v.Key !== undefined && v.Key > key);
    if (!page.IsTruncated || pastKey) break;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
  for (const versionId of versions) {
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    } catch (err) {
      if (isS3NotFound(err)) continue;
      if (isAccessDenied(err)) throw await refusal(client, bucket, key, name, versionId, err, now);
      throw err;
    }
  }
}

/** A plain DeleteObject; AccessDenied is credentials that may not delete. */
export async function deleteObject(client: S3Client, bucket: string, key: string, name: string): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    if (isAccessDenied(err)) throw deleteDenied(name, err);
    throw err;
  }
}
