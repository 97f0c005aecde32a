import type { Engine } from "@holdfast/shared";
import type { FieldText } from "../../ui/schema-form/schema-fields.js";

export const ENGINE_LABELS: Record<Engine, string> = { postgres: "PostgreSQL", mysql: "MySQL / MariaDB", sqlite: "SQLite", files: "Files (a folder)", mongodb: "MongoDB" };

/**
 * The words for each connection field the engines' schemas have (`shared/src/protocol/datasource.ts`);
 * which fields an engine has is the schema's business, not this table's.
 */
export const CONNECTION_TEXTS: Record<string, FieldText> = {
  host: { label: "Host", description: "Name or address of the database server, as the agent's host reaches it (or a socket directory).", placeholder: "127.0.0.1" },
  port: { label: "Port" },
  database: { label: "Database", description: "PostgreSQL and MySQL also take * for the whole server: every database and its roles (users) in one backup.", placeholder: "app" },
  username: { label: "User", placeholder: "backup" },
  authDatabase: { label: "Authentication database", placeholder: "admin" },
  password: { label: "Password", description: "Kept sealed by the agent; never shown again." },
  passwordFile: { label: "Password file", description: "Read by the agent at each run (its first line); your secret manager keeps it.", placeholder: "/run/secrets/db-password" },
  tls: { label: "TLS", description: "Leave empty for the client's default." },
  "tls.mode": { label: "Mode" },
  "tls.caFile": { label: "CA file", placeholder: "/etc/ssl/certs/db-ca.pem" },
  standby: { label: "Dump from a standby", description: "A hot standby of this database: backups read it and spare the primary, which keeps health checks and restores. Same user and password." },
  "standby.host": { label: "Standby host", placeholder: "db-replica.internal" },
  "standby.port": { label: "Standby port" },
  "standby.maxLagSeconds": { label: "Allowed lag (seconds)", description: "The preflight warns when the standby replays further behind." },
  path: { label: "Path", description: "Absolute, on the agent's host.", placeholder: "/var/lib/app/data.db" },
  include: { label: "Include", description: "Globs relative to the folder (logs/**); empty: everything." },
  exclude: { label: "Exclude", description: "Globs relative to the folder (*.tmp)." },
};
