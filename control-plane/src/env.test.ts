import { resolve } from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { loadEnv, SETTING_KEYS, usesPostgres, variableOf } from "./env.js";

describe("loadEnv", () => {
  it("falls back to the documented defaults", () => {
    const env = loadEnv({}, {});
    expect(env).toMatchObject({
      dataDir: resolve("./data"),
      sqlitePath: resolve("./data/holdfast.db"),
      spoolDir: resolve("./data/spool"),
      port: 8080,
      host: "127.0.0.1",
      heartbeatMs: 15_000,
      commandTimeoutMs: 30_000,
      misfireGraceMs: 3_600_000,
      schedulerTickMs: 1_000,
      logLevel: "info",
    });
    expect(usesPostgres(env)).toBe(false);
  });

  it("reads HOLDFAST_* variables", () => {
    const env = loadEnv(
      {},
      {
        HOLDFAST_DATA_DIR: "/srv/hf",
        HOLDFAST_PORT: "9000",
        HOLDFAST_HOST: "0.0.0.0",
        HOLDFAST_HEARTBEAT_MS: "500",
        HOLDFAST_DATABASE_URL: "postgres://u@db/holdfast",
      },
    );
    expect(env).toMatchObject({ dataDir: "/srv/hf", spoolDir: "/srv/hf/spool", port: 9000, host: "0.0.0.0", heartbeatMs: 500 });
    expect(usesPostgres(env)).toBe(true);
  });

  it("lets flags win over variables", () => {
    const env = loadEnv({ dataDir: "/flag", port: "7000", host: "::1" }, { HOLDFAST_DATA_DIR: "/var", HOLDFAST_PORT: "9000" });
    expect(env).toMatchObject({ dataDir: "/flag", sqlitePath: "/flag/holdfast.db", port: 7000, host: "::1" });
  });

  it("refuses a bad port with VALIDATION_FAILED naming it", () => {
    const err = (() => {
      try {
        loadEnv({}, { HOLDFAST_PORT: "eighty" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("VALIDATION_FAILED");
    expect((err as HoldfastError).message).toContain("port");
  });

  it("reads the delivery, spool and retention settings (GB = 10^9 bytes)", () => {
    expect(loadEnv({}, {})).toMatchObject({ spoolMaxBytes: null, deliveryAttempts: 8, deliveryBackoffMs: 60_000, retentionIntervalMs: 3_600_000, manualRetentionDays: 0 });
    const env = loadEnv(
      {},
      {
        HOLDFAST_SPOOL_MAX_GB: "2.5",
        HOLDFAST_DELIVERY_ATTEMPTS: "3",
        HOLDFAST_DELIVERY_BACKOFF_MS: "500",
        HOLDFAST_RETENTION_INTERVAL_MS: "0",
        HOLDFAST_MANUAL_RETENTION_DAYS: "30",
      },
    );
    expect(env).toMatchObject({ spoolMaxBytes: 2_500_000_000, deliveryAttempts: 3, deliveryBackoffMs: 500, retentionIntervalMs: 0, manualRetentionDays: 30 });
    expect(() => loadEnv({}, { HOLDFAST_SPOOL_MAX_GB: "0" })).toThrow(/spoolMaxGb/);
    expect(() => loadEnv({}, { HOLDFAST_DELIVERY_ATTEMPTS: "0" })).toThrow(/deliveryAttempts/);
  });

  it("reads the session and sign-in settings: idle 60 min, at most 24 h, locks after 5 failures per e-mail and 25 per address", () => {
    expect(loadEnv({}, {})).toMatchObject({ sessionIdleMs: 60 * 60_000, sessionMaxMs: 24 * 3_600_000, signInAccountFailures: 5, signInAddressFailures: 25 });
    const env = loadEnv(
      {},
      { HOLDFAST_SESSION_IDLE_MINUTES: "15", HOLDFAST_SESSION_MAX_HOURS: "8", HOLDFAST_SIGNIN_ACCOUNT_FAILURES: "3", HOLDFAST_SIGNIN_ADDRESS_FAILURES: "100" },
    );
    expect(env).toMatchObject({ sessionIdleMs: 15 * 60_000, sessionMaxMs: 8 * 3_600_000, signInAccountFailures: 3, signInAddressFailures: 100 });
    expect(() => loadEnv({}, { HOLDFAST_SESSION_IDLE_MINUTES: "1" })).toThrow(/sessionIdleMinutes/);
    expect(() => loadEnv({}, { HOLDFAST_SIGNIN_ACCOUNT_FAILURES: "0" })).toThrow(/signInAccountFailures/);
  });

  it("reads the metrics token, and never echoes a bad token", () => {
    expect(loadEnv({}, {})).toMatchObject({ metricsToken: undefined });
    const token = "0123456789abcdef0123456789abcdef";
    expect(loadEnv({}, { HOLDFAST_METRICS_TOKEN: token })).toMatchObject({ metricsToken: token });
    let message = "";
    try {
      loadEnv({}, { HOLDFAST_METRICS_TOKEN: "short secret" });
    } catch (err) {
      message = JSON.stringify(err) + String(err);
    }
    expect(message).toMatch(/metricsToken/);
    expect(message).not.toContain("short secret");
  });

  it("reads the rate limits and history kept: defaults above normal use, 0 per minute turns a limit off, 0 days keeps for ever", () => {
    const defaults = loadEnv({}, {});
    expect(defaults.rateLimits).toEqual({
      apiToken: { perMinute: 1_200, burst: 600 },
      apiAddress: { perMinute: 3_000, burst: 1_000 },
      signIn: { perMinute: 20, burst: 60 },
      enroll: { perMinute: 10, burst: 30 },
    });
    expect(defaults).toMatchObject({ keepHistory: { runsDays: 400, eventsDays: 90, notificationSendsDays: 90, auditDays: 400 }, housekeepingIntervalMs: 3_600_000 });
    const env = loadEnv({}, { HOLDFAST_RATE_SIGNIN_PER_MIN: "0", HOLDFAST_RATE_ENROLL_BURST: "5", HOLDFAST_KEEP_AUDIT_DAYS: "0", HOLDFAST_HOUSEKEEPING_INTERVAL_MS: "0" });
    expect(env.rateLimits).toMatchObject({ signIn: { perMinute: 0, burst: 60 }, enroll: { perMinute: 10, burst: 5 } });
    expect(env).toMatchObject({ keepHistory: { auditDays: 0 }, housekeepingIntervalMs: 0 });
    expect(() => loadEnv({}, { HOLDFAST_RATE_API_TOKEN_BURST: "0" })).toThrow(/rateApiTokenBurst/);
  });

  it("treats any non-postgres database URL as SQLite", () => {
    expect(usesPostgres(loadEnv({}, { HOLDFAST_DATABASE_URL: "file:x.db" }))).toBe(false);
  });

  it("names each setting's variable after its key, but for the five older names deployments already set", () => {
    expect(variableOf("spoolMaxGb")).toBe("HOLDFAST_SPOOL_MAX_GB");
    expect(variableOf("localDestinationTimeoutMs")).toBe("HOLDFAST_LOCAL_DESTINATION_TIMEOUT_MS");
    expect(["signInAccountFailures", "signInAddressFailures", "eventsKeepAliveMs", "rateSignInPerMin", "rateSignInBurst"].map((k) => variableOf(k as never))).toEqual([
      "HOLDFAST_SIGNIN_ACCOUNT_FAILURES",
      "HOLDFAST_SIGNIN_ADDRESS_FAILURES",
      "HOLDFAST_EVENTS_KEEPALIVE_MS",
      "HOLDFAST_RATE_SIGNIN_PER_MIN",
      "HOLDFAST_RATE_SIGNIN_BURST",
    ]);
    expect(new Set(SETTING_KEYS.map(variableOf)).size).toBe(SETTING_KEYS.length);
    expect(loadEnv({}, { HOLDFAST_RATE_SIGNIN_BURST: "7", HOLDFAST_SIGNIN_ADDRESS_FAILURES: "9" })).toMatchObject({ rateLimits: { signIn: { burst: 7 } }, signInAddressFailures: 9 });
  });
});
