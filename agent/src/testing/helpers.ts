import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { vi } from "vitest";
import { HoldfastError, type Clock } from "@holdfast/shared/protocol";

/** Test-only helpers (excluded from the build). PostgreSQL on 127.0.0.1:5432, user postgres, trust auth. */
export const PG = { host: "127.0.0.1", port: 5432, username: "postgres" } as const;

export function psql(sql: string, database = "postgres"): string {
  return execFileSync("psql", ["-h", PG.host, "-p", String(PG.port), "-U", PG.username, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", `--dbname=dbname='${database.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`, "-c", sql], {
    encoding: "utf8",
    env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" },
  }).trim();
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

export function createDatabase(name: string): string {
  psql(`CREATE DATABASE ${quoteIdent(name)}`);
  return name;
}

export function dropDatabase(name: string): void {
  psql(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

/** A loopback port nothing listens on once this resolves (bound, read, released): a closed port, or one for a server of our own. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** The catalog error `p` rejects with; throws (failing the test) when it resolves or rejects with anything else. */
export async function failureOf(p: Promise<unknown>): Promise<HoldfastError> {
  const outcome = await p.then(
    () => ({ err: undefined, resolved: true }),
    (err: unknown) => ({ err, resolved: false }),
  );
  if (outcome.err instanceof HoldfastError) return outcome.err;
  throw new Error(outcome.resolved ? "expected a HoldfastError, but it succeeded" : `expected a HoldfastError, got ${String(outcome.err)}`);
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hf-test-${prefix}-`));
}

/** Waits until a stand-in tool wrote its pid into `file` (the first thing it does); fails after `timeoutMs`, saying so. */
export function pidFrom(file: string, timeoutMs = 15_000): Promise<number> {
  return vi.waitFor(
    () => {
      const pid = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
      if (!pid) throw new Error(`the stand-in tool did not write its pid to ${file} within ${timeoutMs} ms`);
      return Number(pid);
    },
    { timeout: timeoutMs, interval: 5 },
  );
}

/** A clock that moves only when told; timers fire on advance(). */
export class ManualClock implements Clock {
  private t: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(start = Date.parse("2026-01-01T00:00:00Z")) {
    this.t = start;
  }

  now(): Date {
    return new Date(this.t);
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** How long until the earliest pending timer fires; undefined when none is pending. */
  get nextTimerInMs(): number | undefined {
    return this.timers.length === 0 ? undefined : Math.min(...this.timers.map((x) => x.at)) - this.t;
  }
}
