import type { DestinationType } from "@holdfast/shared";
import type { FieldText } from "../../ui/schema-form/schema-fields.js";

export const TYPE_LABELS: Record<DestinationType, string> = { local: "Local folder", s3: "S3 or compatible", sftp: "SFTP" };

/** The words for each config field of each type (`shared/src/api/destinations.ts` says which fields a type has). */
export const CONFIG_TEXTS: Record<DestinationType, Record<string, FieldText>> = {
  local: {
    path: { label: "Folder", description: "Absolute path on the control plane's host; it must exist and be writable.", placeholder: "/srv/backups" },
    readOnly: { label: "Read-only files", description: "Each backup file is made read-only (0444) once written; only a deletion (retention, by hand) makes it writable again, just before removing it." },
  },
  s3: {
    endpoint: { label: "Endpoint", description: "Empty for AWS; the URL of MinIO, R2, B2, Wasabi… otherwise.", placeholder: "https://minio.example:9000" },
    region: { label: "Region" },
    bucket: { label: "Bucket", placeholder: "holdfast-backups" },
    prefix: { label: "Key prefix", description: "Objects go under it; empty for the bucket's root.", placeholder: "prod/db" },
    forcePathStyle: { label: "Path-style URLs", description: "Most S3-compatible servers (MinIO) need it." },
    accessKeyId: { label: "Access key id" },
    secretAccessKey: { label: "Secret access key", description: "Sealed on the control plane; never shown again." },
    storageClass: { label: "Storage class", placeholder: "STANDARD_IA" },
    allowPrivateEndpoint: { label: "Allow a link-local or metadata endpoint", description: "Off, such endpoints are refused (they are how credentials leak)." },
    objectLock: {
      label: "Object Lock",
      description: "Every object written with S3 Object Lock: nothing can delete it before its retain-until date, and retention waits for it. The bucket must have Object Lock enabled.",
    },
    "objectLock.mode": { label: "Mode", description: "COMPLIANCE: nobody, not even the bucket's owner. GOVERNANCE: only with s3:BypassGovernanceRetention." },
    "objectLock.days": { label: "Days locked", description: "Counted from each write; at least 1." },
  },
  sftp: {
    host: { label: "Host", placeholder: "backup.example.net" },
    port: { label: "Port" },
    username: { label: "User" },
    password: { label: "Password", description: "Or a private key below; sealed, never shown again." },
    privateKey: { label: "Private key", description: "An unencrypted OpenSSH or PEM key; sealed, never shown again.", multiline: true, placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----" },
    hostKeySha256: { label: "Host key fingerprint", description: "What `ssh-keygen -lf` prints for the server's key: the connection is refused if it differs.", placeholder: "SHA256:…" },
    path: { label: "Folder", description: "Absolute, on the server.", placeholder: "/backups" },
  },
};

/** Where a destination writes, in one line: the folder, the bucket and prefix, or the server and folder. */
export function whereOf(type: DestinationType, config: Record<string, unknown>): string {
  const s = (k: string) => (typeof config[k] === "string" ? (config[k] as string) : "");
  if (type === "local") return s("path");
  if (type === "s3") return `${s("endpoint") || "AWS"} · ${s("bucket")}${s("prefix") ? `/${s("prefix")}` : ""}`;
  return `${s("username")}@${s("host")}:${String(config.port ?? 22)}${s("path")}`;
}
