import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { HoldfastError } from "@holdfast/shared";

// OWASP's scrypt floor (N=2^17, r=8, p=1) needs 128 MiB; the parameters are stored with each hash so
// they can be raised later without invalidating old ones.
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;

/**
 * At most two hashes at once: scrypt runs on libuv's thread pool (four threads by default), which file
 * I/O shares (the spool, local destinations, SQLite's file), and each takes 128 MiB. A burst of
 * sign-ins waits its turn here instead of stalling the server; past `MAX_WAITING` in line it is told
 * to come back (RATE_LIMITED) rather than queued without bound.
 */
export const HASH_SLOTS = 2;
const MAX_WAITING = 32;
let active = 0;
const waiting: (() => void)[] = [];

async function inHashSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (active < HASH_SLOTS) active++;
  else if (waiting.length >= MAX_WAITING) {
    throw new HoldfastError("RATE_LIMITED", "Too many passwords are being checked at once: try again in a second", { retryAfterSeconds: 1 });
  } else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await fn();
  } finally {
    // The slot passes straight to the next in line, so `active` never dips while some wait.
    const next = waiting.shift();
    if (next) next();
    else active--;
  }
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEYLEN, { N: n, r, p, maxmem: MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url), with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await inHashSlot(() => derive(password, salt, N, R, P));
  return ["scrypt", N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/**
 * A hash no password matches, with the current parameters: checking a password against it costs the
 * same scrypt as against a stored hash, so an unknown e-mail is not answered faster than a known one.
 */
export const UNMATCHABLE_PASSWORD_HASH = ["scrypt", N, R, P, Buffer.alloc(16).toString("base64url"), Buffer.alloc(KEYLEN).toString("base64url")].join("$");

/**
 * Steps run while the check holds its hash slot: `before` may refuse (a lock that started while this
 * check waited its turn), `after` records the outcome before the next check in line may start, so a
 * burst against one account cannot run more hashes than the lock allows.
 */
export interface HashGuard {
  before(): Promise<void>;
  after(matches: boolean): Promise<void>;
}

export async function verifyPasswordHash(password: string, stored: string, guard?: HashGuard): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  const wellFormed = scheme === "scrypt" && n && r && p && salt && hash;
  return inHashSlot(async () => {
    await guard?.before();
    let matches = false;
    if (wellFormed) {
      const expected = Buffer.from(hash, "base64url");
      const actual = await derive(password, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
      matches = actual.length === expected.length && timingSafeEqual(actual, expected);
    }
    await guard?.after(matches);
    return matches;
  });
}
