import { z } from "zod";
import { REDACTED } from "../protocol/datasource.js";
import { refusedEndpointName } from "./endpoint-policy.js";
import { TransferCapMiBps } from "./transfer-cap.js";

export { normalizeHost, refusedEndpointName } from "./endpoint-policy.js";

/** A stored secret must be a real one: the mask copied back from a GET is refused on create. */
const secret = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s !== REDACTED, "must be the secret itself, not the mask");

/** A name that reaches a remote server: no control characters, no leading `-` (never an option). */
const plainName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.startsWith("-"), "must not start with '-'")
  .refine((s) => !/[\s\u0000-\u001f\u007f]/.test(s), "must not contain spaces or control characters");

/** Folders inside a destination: `/`-separated, no empty, `.` or `..` segment. */
const insidePath = z
  .string()
  .max(1024)
  .refine((s) => !/[\u0000-\u001f\u007f\\]/.test(s), "must not contain control characters or backslashes")
  .refine((s) => s === "" || s.replace(/^\/+|\/+$/g, "").split("/").every((seg) => seg !== "" && seg !== "." && seg !== ".."), "must not contain empty, '.' or '..' segments");

export const LocalDestinationConfig = z
  .object({
    path: z.string().min(1).max(4096).refine((p) => p.startsWith("/"), "must be an absolute path"),
    /**
     * Each file written (artifact, parts, sidecar) is made 0444 before it appears under its name;
     * deleting one (retention, by hand) gives the owner write back just before the unlink.
     */
    readOnly: z.boolean().optional(),
  })
  .strict();
export type LocalDestinationConfig = z.infer<typeof LocalDestinationConfig>;

/** Retention modes of S3 Object Lock: GOVERNANCE yields to s3:BypassGovernanceRetention, COMPLIANCE to nobody. */
export const ObjectLockMode = z.enum(["GOVERNANCE", "COMPLIANCE"], {
  error: (issue) => `must be GOVERNANCE or COMPLIANCE, not ${JSON.stringify(issue.input)}`,
});

/**
 * S3 Object Lock for every object Holdfast writes there: each artifact, part and sidecar is written
 * with `mode` and a retain-until date `days` after the write. The bucket must have Object Lock
 * enabled (checked when the destination is created or tested). Up to 100 years.
 */
export const ObjectLockConfig = z
  .object({
    mode: ObjectLockMode,
    days: z.number().int("must be a whole number of days").min(1, "must be at least 1 day").max(36_500, "must be at most 36500 days (100 years)"),
  })
  .strict();
export type ObjectLockConfig = z.infer<typeof ObjectLockConfig>;

export const S3DestinationConfig = z
  .object({
    /** Absent for AWS itself; `https://minio.example:9000` for an S3-compatible server. */
    endpoint: z
      .string()
      .max(2048)
      .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), "must be an http(s) URL")
      .optional(),
    region: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/, "must be a region name such as us-east-1").default("us-east-1"),
    bucket: z.string().min(3).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/, "must be a bucket name"),
    /** Objects go under this key prefix (`backups/prod`); empty for the bucket's root. */
    prefix: insidePath.refine((s) => !s.startsWith("/"), "must not start with '/'").default(""),
    forcePathStyle: z.boolean().default(false),
    accessKeyId: z.string().min(1).max(256),
    secretAccessKey: secret(1024),
    storageClass: z.string().regex(/^[A-Z0-9_]{1,64}$/, "must be a storage class such as STANDARD_IA").optional(),
    /** Lets the endpoint be a link-local or cloud metadata address; off, such endpoints are refused (SSRF, 422 from the control plane). */
    allowPrivateEndpoint: z.boolean().optional(),
    /** Write every object under S3 Object Lock (the bucket must have it enabled). */
    objectLock: ObjectLockConfig.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.endpoint || c.allowPrivateEndpoint) return;
    const reason = refusedEndpointName(new URL(c.endpoint).hostname);
    if (reason) ctx.addIssue({ code: "custom", path: ["endpoint"], message: `${reason}; set allowPrivateEndpoint: true if you mean it` });
  });
export type S3DestinationConfig = z.infer<typeof S3DestinationConfig>;

/**
 * The server's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:` and unpadded base64),
 * or as 64 hex digits (optionally `sha256:`-prefixed, the TLS pin format).
 */
export const HostKeySha256 = z
  .string()
  .regex(/^(SHA256:[A-Za-z0-9+/]{43}=?|(sha256:)?[0-9a-fA-F]{64})$/, "must be a SHA-256 fingerprint such as SHA256:… (ssh-keygen -lf) or 64 hex digits");

export const SftpDestinationConfig = z
  .object({
    host: plainName,
    port: z.number().int().min(1).max(65535).default(22),
    username: plainName,
    password: secret(1024).optional(),
    /** An unencrypted private key (OpenSSH or PEM). */
    privateKey: secret(16_384).refine((k) => k.includes("PRIVATE KEY"), "must be a PEM or OpenSSH private key").optional(),
    hostKeySha256: HostKeySha256,
    /** The folder on the server that receives the artifacts. */
    path: z.string().min(1).max(4096).refine((p) => p.startsWith("/"), "must be an absolute path").pipe(insidePath),
  })
  .strict()
  .refine((c) => c.password !== undefined || c.privateKey !== undefined, { message: "needs a password or a privateKey", path: ["password"] });
export type SftpDestinationConfig = z.infer<typeof SftpDestinationConfig>;

export const DestinationType = z.enum(["local", "s3", "sftp"]);
export type DestinationType = z.infer<typeof DestinationType>;

/** The config schema of each destination type. */
export const DESTINATION_CONFIGS = { local: LocalDestinationConfig, s3: S3DestinationConfig, sftp: SftpDestinationConfig } as const;
export type DestinationConfig = LocalDestinationConfig | S3DestinationConfig | SftpDestinationConfig;

/** The config fields that are secrets: stored encrypted, answered as the mask. */
export const DESTINATION_SECRET_FIELDS = { local: [], s3: ["secretAccessKey"], sftp: ["password", "privateKey"] } as const satisfies Record<DestinationType, readonly string[]>;

/** The config as any route may show it: every secret present replaced by the fixed mask. */
export function maskDestinationSecrets(type: DestinationType, config: Record<string, unknown>): Record<string, unknown> {
  const masked = { ...config };
  for (const field of DESTINATION_SECRET_FIELDS[type]) if (masked[field] !== undefined) masked[field] = REDACTED;
  return masked;
}

/** A storage quota in GB (10^9 bytes); fractions allowed. */
const MaxSizeGb = z.number().positive().max(1_000_000);

/** `transferCapMiBps`: what is written to the destination goes no faster (absent: no cap). */
const common = { name: z.string().min(1).max(200), maxSizeGb: MaxSizeGb.optional(), isDefault: z.boolean().optional(), transferCapMiBps: TransferCapMiBps.optional() };

export const CreateDestinationBody = z.discriminatedUnion("type", [
  z.object({ ...common, type: z.literal("local"), config: LocalDestinationConfig }).strict(),
  z.object({ ...common, type: z.literal("s3"), config: S3DestinationConfig }).strict(),
  z.object({ ...common, type: z.literal("sftp"), config: SftpDestinationConfig }).strict(),
]);
export type CreateDestinationBody = z.infer<typeof CreateDestinationBody>;

/**
 * `PATCH /destinations/:id`. `config` is merged field by field over the stored one and the result
 * validated as a whole; a secret omitted or sent as the mask keeps the stored one, `null` removes an
 * optional field. `maxSizeGb: null` removes the quota, `transferCapMiBps: null` the cap (a new cap
 * reaches deliveries under way). The type never changes.
 */
export const UpdateDestinationBody = z
  .object({
    name: common.name.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    maxSizeGb: MaxSizeGb.nullable().optional(),
    isDefault: z.boolean().optional(),
    transferCapMiBps: TransferCapMiBps.nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "must change at least one field");
export type UpdateDestinationBody = z.infer<typeof UpdateDestinationBody>;
