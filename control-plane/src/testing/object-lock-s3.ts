import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { http, HttpResponse } from "msw";

/**
 * No S3 server that runs here implements Object Lock (s3rver answers NotImplemented), so this is
 * S3's documented behaviour, for msw: a versioned bucket that keeps each object's lock and enforces
 * it. What it checks and answers, from the S3 API reference:
 * - GetObjectLockConfiguration: `ObjectLockEnabled: Enabled`, or 404 ObjectLockConfigurationNotFoundError;
 * - PutObject and CreateMultipartUpload with `x-amz-object-lock-mode` need
 *   `x-amz-object-lock-retain-until-date` and a bucket with Object Lock (else 400 InvalidRequest);
 *   a locked PutObject, and each UploadPart of a locked upload, needs Content-MD5 or an
 *   x-amz-checksum-* header (else 400 InvalidRequest), and a CRC32 given must match the body (400 BadDigest);
 * - DeleteObject without a version id adds a delete marker (a versioned bucket: the lock does not
 *   stop it, and nothing is freed); with one, it removes that version, unless its retain-until
 *   date is still ahead: 403 AccessDenied;
 * - HeadObject (with a version id) answers the version's mode and retain-until date;
 * - ListObjectVersions answers versions and delete markers by key, newest first.
 * Every request is kept in `requests` with its headers, so a test reads what the SDK sent.
 */
export interface ObjectLockS3 {
  /** Path-style endpoint (a documentation address: no DNS). The bucket also answers as AWS itself, virtual-hosted in us-east-1. */
  endpoint: string;
  bucket: string;
  /** A bucket's default retention: applied to an object written without a lock of its own. */
  defaultRetention: { mode: string; days: number } | null;
  handlers: ReturnType<typeof http.all>[];
  requests: { method: string; path: string; query: URLSearchParams; headers: Headers; bytes: number }[];
  /** Every version of every key, oldest first. */
  versions: Map<string, Version[]>;
  /** The server's clock for retention (epoch ms); tests move it past a retain-until date. */
  now: () => number;
  setNow(ms: number): void;
  objectLockEnabled: boolean;
}

export interface Version {
  versionId: string;
  body: Buffer | null;
  deleteMarker: boolean;
  mode: string | null;
  retainUntil: number | null;
  modifiedAt: number;
}

const xml = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new HttpResponse(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { status, headers: { "content-type": "application/xml", ...headers } });
const s3Error = (status: number, code: string, message: string) => xml(`<Error><Code>${code}</Code><Message>${message}</Message><RequestId>test</RequestId></Error>`, status);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const crcOf = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out.toString("base64");
};

/** The integrity check S3 requires of a locked upload: Content-MD5 or a checksum header, a CRC32 that matches. */
function integrityRefusal(headers: Headers, body: Buffer): Response | null {
  const checksum = [...headers.keys()].find((h) => h.startsWith("x-amz-checksum-") && h !== "x-amz-checksum-algorithm" && h !== "x-amz-checksum-type");
  if (!headers.has("content-md5") && !checksum) {
    return s3Error(400, "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters");
  }
  const crc = headers.get("x-amz-checksum-crc32");
  if (crc !== null && crc !== crcOf(body)) return s3Error(400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.");
  return null;
}

export function objectLockS3(opts: { objectLockEnabled?: boolean; defaultRetention?: { mode: string; days: number } } = {}): ObjectLockS3 {
  const bucket = "locked-bucket";
  const endpoint = "https://203.0.113.7";
  let clock: number | null = null;
  const uploads = new Map<string, { key: string; mode: string | null; retainUntil: number | null; checksum: boolean; parts: Map<number, Buffer> }>();
  const self: ObjectLockS3 = {
    endpoint,
    bucket,
    handlers: [],
    requests: [],
    versions: new Map(),
    now: () => clock ?? Date.now(),
    setNow: (ms) => void (clock = ms),
    objectLockEnabled: opts.objectLockEnabled ?? true,
    defaultRetention: opts.defaultRetention ?? null,
  };
  const awsHost = `${bucket}.s3.us-east-1.amazonaws.com`;
  const live = (key: string) => {
    const latest = self.versions.get(key)?.at(-1);
    return latest && !latest.deleteMarker ? latest : undefined;
  };
  const addVersion = (key: string, v: Omit<Version, "versionId" | "modifiedAt">) => {
    const version = { ...v, versionId: randomBytes(8).toString("hex"), modifiedAt: self.now() };
    self.versions.set(key, [...(self.versions.get(key) ?? []), version]);
    return version;
  };
  const lockHeaders = (headers: Headers): { mode: string | null; retainUntil: number | null } | Response => {
    const mode = headers.get("x-amz-object-lock-mode");
    const until = headers.get("x-amz-object-lock-retain-until-date");
    if (mode === null && until === null) {
      const d = self.defaultRetention;
      return d ? { mode: d.mode, retainUntil: self.now() + d.days * 86_400_000 } : { mode: null, retainUntil: null };
    }
    if (!self.objectLockEnabled) return s3Error(400, "InvalidRequest", "Bucket is missing Object Lock Configuration");
    if (mode === null || until === null || Number.isNaN(Date.parse(until))) return s3Error(400, "InvalidRequest", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
    if (mode !== "GOVERNANCE" && mode !== "COMPLIANCE") return s3Error(400, "InvalidArgument", "Unknown wormMode directive.");
    if (Date.parse(until) <= self.now()) return s3Error(400, "InvalidArgument", "The retain until date must be in the future!");
    return { mode, retainUntil: Date.parse(until) };
  };
  const headersOf = (v: Version) => ({
    "content-length": String(v.body?.length ?? 0),
    "last-modified": new Date(v.modifiedAt).toUTCString(),
    etag: `"${v.versionId}"`,
    "x-amz-version-id": v.versionId,
    ...(v.mode ? { "x-amz-object-lock-mode": v.mode, "x-amz-object-lock-retain-until-date": new Date(v.retainUntil!).toISOString() } : {}),
  });

  const resolver = async ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    const [, ...segments] = url.pathname.split("/");
    const b = url.hostname === awsHost ? bucket : segments.shift();
    const key = decodeURIComponent(segments.join("/"));
    const q = url.searchParams;
    const body = Buffer.from(await request.arrayBuffer());
    self.requests.push({ method: request.method, path: url.pathname, query: q, headers: request.headers, bytes: body.length });
    if (b !== bucket) return s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
    const m = request.method;

    if (key === "") {
      if (m === "GET" && q.has("object-lock")) {
        if (!self.objectLockEnabled) return s3Error(404, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket");
        return xml("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>");
      }
      if (m === "GET" && q.has("versions")) {
        const prefix = q.get("prefix") ?? "";
        const entries = [...self.versions.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))
          .flatMap(([k, vs]) =>
            [...vs].reverse().map((v, i) => {
              const common = `<Key>${esc(k)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${i === 0}</IsLatest><LastModified>${new Date(v.modifiedAt).toISOString()}</LastModified>`;
              return v.deleteMarker ? `<DeleteMarker>${common}</DeleteMarker>` : `<Version>${common}<ETag>"${v.versionId}"</ETag><Size>${v.body!.length}</Size><StorageClass>STANDARD</StorageClass></Version>`;
            }),
          );
        return xml(`<ListVersionsResult><Name>${bucket}</Name><Prefix>${esc(prefix)}</Prefix><IsTruncated>false</IsTruncated>${entries.join("")}</ListVersionsResult>`);
      }
      if (m === "GET" && q.get("list-type") === "2") {
        const prefix = q.get("prefix") ?? "";
        const keys = [...self.versions.keys()].filter((k) => k.startsWith(prefix) && live(k)).sort();
        const contents = keys.map((k) => `<Contents><Key>${esc(k)}</Key><Size>${live(k)!.body!.length}</Size><LastModified>${new Date(live(k)!.modifiedAt).toISOString()}</LastModified></Contents>`);
        return xml(`<ListBucketResult><Name>${bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents.join("")}</ListBucketResult>`);
      }
      return s3Error(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
    }

    if (m === "PUT" && q.has("partNumber")) {
      const upload = uploads.get(q.get("uploadId") ?? "");
      if (!upload) return s3Error(404, "NoSuchUpload", "The specified upload does not exist.");
      if (upload.mode) {
        const refused = integrityRefusal(request.headers, body);
        if (refused) return refused;
      }
      upload.parts.set(Number(q.get("partNumber")), body);
      const crc = request.headers.get("x-amz-checksum-crc32");
      return new HttpResponse(null, { status: 200, headers: { etag: `"part-${q.get("partNumber")}"`, ...(crc ? { "x-amz-checksum-crc32": crc } : {}) } });
    }
    if (m === "PUT") {
      const lock = lockHeaders(request.headers);
      if (lock instanceof Response) return lock;
      if (lock.mode) {
        const refused = integrityRefusal(request.headers, body);
        if (refused) return refused;
      }
      const v = addVersion(key, { body, deleteMarker: false, ...lock });
      return new HttpResponse(null, { status: 200, headers: { etag: `"${v.versionId}"`, "x-amz-version-id": v.versionId } });
    }
    if (m === "POST" && q.has("uploads")) {
      const lock = lockHeaders(request.headers);
      if (lock instanceof Response) return lock;
      const uploadId = randomBytes(8).toString("hex");
      uploads.set(uploadId, { key, ...lock, checksum: request.headers.has("x-amz-checksum-algorithm"), parts: new Map() });
      return xml(`<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${esc(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (m === "POST" && q.has("uploadId")) {
      const upload = uploads.get(q.get("uploadId")!);
      if (!upload) return s3Error(404, "NoSuchUpload", "The specified upload does not exist.");
      const text = body.toString("utf8");
      const numbers = [...text.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((x) => Number(x[1]));
      if (upload.checksum && [...text.matchAll(/<ChecksumCRC32>/g)].length !== numbers.length) return s3Error(400, "InvalidRequest", "The upload was created using a crc32 checksum. The complete request must include the checksum for each part.");
      const v = addVersion(key, { body: Buffer.concat(numbers.map((n) => upload.parts.get(n)!)), deleteMarker: false, mode: upload.mode, retainUntil: upload.retainUntil });
      uploads.delete(q.get("uploadId")!);
      return xml(`<CompleteMultipartUploadResult><Location>${endpoint}/${bucket}/${esc(key)}</Location><Bucket>${bucket}</Bucket><Key>${esc(key)}</Key><ETag>"${v.versionId}"</ETag></CompleteMultipartUploadResult>`, 200, { "x-amz-version-id": v.versionId });
    }
    if (m === "DELETE" && q.has("uploadId")) return new HttpResponse(null, { status: 204 });
    if (m === "DELETE") {
      const versionId = q.get("versionId");
      if (versionId === null) {
        const marker = addVersion(key, { body: null, deleteMarker: true, mode: null, retainUntil: null });
        return new HttpResponse(null, { status: 204, headers: { "x-amz-delete-marker": "true", "x-amz-version-id": marker.versionId } });
      }
      const all = self.versions.get(key) ?? [];
      const v = all.find((x) => x.versionId === versionId);
      if (!v) return new HttpResponse(null, { status: 204 });
      if (v.retainUntil !== null && v.retainUntil > self.now()) return s3Error(403, "AccessDenied", "Access Denied because object protected by object lock.");
      const left = all.filter((x) => x !== v);
      if (left.length === 0) self.versions.delete(key);
      else self.versions.set(key, left);
      return new HttpResponse(null, { status: 204, headers: { "x-amz-version-id": versionId } });
    }
    if (m === "HEAD" || m === "GET") {
      const versionId = q.get("versionId");
      const v = versionId ? self.versions.get(key)?.find((x) => x.versionId === versionId && !x.deleteMarker) : live(key);
      if (!v) return m === "HEAD" ? new HttpResponse(null, { status: 404 }) : s3Error(404, "NoSuchKey", "The specified key does not exist.");
      if (m === "HEAD") return new HttpResponse(null, { status: 200, headers: headersOf(v) });
      const start = Number(/^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "")?.[1] ?? 0);
      const slice = v.body!.subarray(start);
      return new HttpResponse(slice, { status: start ? 206 : 200, headers: { ...headersOf(v), "content-length": String(slice.length) } });
    }
    return s3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  };
  self.handlers.push(http.all(`${endpoint}/*`, resolver), http.all(`https://${awsHost}/*`, resolver));
  return self;
}
