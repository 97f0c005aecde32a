// PostgreSQL tables: who may do what: users, API tokens, sessions, sign-in lock-out, rate limits, setup and enrollment tokens, the audit log, SSO. Mirrored column for column by ../sqlite/access.ts (see ../../README.md).
import { bigint, boolean, index, integer, pgTable, text } from "drizzle-orm/pg-core";

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /** Set while the user is disabled: every way of signing in, and every API token of theirs, is refused. */
  disabledAt: bigint("disabled_at", { mode: "number" }),
});

export const apiTokens = pgTable("api_tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /** Written at most once a minute per token (users/api-tokens.ts), not on every request. */
  lastUsedAt: bigint("last_used_at", { mode: "number" }),
  name: text("name").notNull().default("API token"),
  /** The most the token may do (its user's role caps it too); null on tokens made before roles on tokens: they act with their user's role. */
  role: text("role"),
  /** The start of the secret (`hf_api_abcd`), to recognise a token by; null on tokens made before it was kept. */
  tokenPrefix: text("token_prefix"),
  revokedAt: bigint("revoked_at", { mode: "number" }),
});

/**
 * Signed-in browser sessions. The cookie's random value is stored only as its SHA-256; a session ends
 * when idle for HOLDFAST_SESSION_IDLE_MINUTES after `last_seen_at` (updated at most once a minute)
 * or HOLDFAST_SESSION_MAX_HOURS after `created_at`, and goes with its user.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    lastSeenAt: bigint("last_seen_at", { mode: "number" }).notNull(),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_last_seen_at_idx").on(t.lastSeenAt), index("sessions_created_at_idx").on(t.createdAt)],
);

/**
 * Failed sign-ins counted per key: `account:<e-mail as typed, lower case>` (whether or not the account
 * exists, so a lock says nothing about it) and `address:<client address>`. Kept in the database so a
 * restart does not reset them; forgotten a day after their last failure.
 */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    lastFailureAt: bigint("last_failure_at", { mode: "number" }).notNull(),
    lockedUntil: bigint("locked_until", { mode: "number" }),
  },
  (t) => [index("sign_in_failures_last_failure_at_idx").on(t.lastFailureAt)],
);

/**
 * Request rate limits (http/rate-limit/): one token bucket per key (`api-token:<id>`, `api-address:<a>`,
 * `sign-in:<a>`, `enroll:<a>`), kept as the time it is full again (GCRA's "theoretical arrival
 * time"), so restarts and replicas share it. A row whose time has passed is a full bucket: pruned.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    tat: bigint("tat", { mode: "number" }).notNull(),
  },
  (t) => [index("rate_limits_tat_idx").on(t.tat)],
);

/** The first admin's setup token (SHA-256 only), replaced at each start while no user exists; claimed once. */
export const setupTokens = pgTable("setup_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  claimedAt: bigint("claimed_at", { mode: "number" }),
});

export const enrollmentTokens = pgTable("enrollment_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
  usedAt: bigint("used_at", { mode: "number" }),
  usedByAgentId: text("used_by_agent_id"),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  name: text("name"),
  /** The e-mail of the user who made it through the API; null when made with `holdfast token create`. */
  createdBy: text("created_by"),
  revokedAt: bigint("revoked_at", { mode: "number" }),
});

/**
 * Who did what to which object, when, from where, and how it ended (http/audit-trail.ts,
 * audit/record-audit.ts). Never a secret and never a request body: `fields` names what a request
 * sent, not the values.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: bigint("at", { mode: "number" }).notNull(),
    /** Null when nobody was authenticated (a failed sign-in). */
    actorUserId: text("actor_user_id"),
    actorEmail: text("actor_email"),
    /** The API token's id, or `session`. */
    credential: text("credential"),
    /** `PATCH /users/:id` for an API call, or a domain event such as `session.signIn`. */
    action: text("action").notNull(),
    /** JSON: the ids of the objects acted on (`{"id": "usr_…"}`). */
    target: text("target").notNull(),
    /** JSON: the names of the fields the request sent (`["role"]`). */
    fields: text("fields").notNull(),
    status: bigint("status", { mode: "number" }).notNull(),
    errorCode: text("error_code"),
    clientAddress: text("client_address").notNull(),
    requestId: text("request_id"),
  },
  (t) => [index("audit_log_at_idx").on(t.at, t.id)],
);

/** See schema/sqlite/access.ts. */
export const ssoSettings = pgTable("sso_settings", {
  id: text("id").primaryKey(),
  enabled: boolean("enabled").notNull().default(false),
  displayName: text("display_name").notNull(),
  issuerUrl: text("issuer_url").notNull(),
  clientId: text("client_id").notNull(),
  clientSecretSealed: text("client_secret_sealed"),
  roleRules: text("role_rules").notNull(),
  passwordSignIn: text("password_sign_in").notNull().default("everyone"),
  breakGlassEmail: text("break_glass_email"),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});
