import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Clock } from "@holdfast/shared/protocol";
import { ensurePrivateDir } from "../fs-safe.js";
import { migrate } from "./migrations.js";
import { SecretBox } from "./secret-box.js";
import type { OutboxEvent } from "./outbox.js";

export const DB_FILE = "agent.db";

/**
 * The agent's one SQLite database plus the hooks around it. Events written inside `transaction` are
 * handed to listeners only after the commit, so nothing is ever sent that a rollback could undo.
 */
export class AgentStore {
  readonly secrets: SecretBox;
  private readonly listeners = new Set<(event: OutboxEvent) => void>();
  private pending: OutboxEvent[] | null = null;

  constructor(
    readonly db: Database.Database,
    readonly dataDir: string,
    readonly clock: Clock,
  ) {
    this.secrets = new SecretBox(dataDir);
  }

  transaction<T>(fn: () => T): T {
    if (this.pending) return this.db.transaction(fn)();
    const pending: OutboxEvent[] = [];
    this.pending = pending;
    let result: T;
    try {
      result = this.db.transaction(fn)();
    } finally {
      this.pending = null;
    }
    for (const event of pending) for (const listener of this.listeners) listener(event);
    return result;
  }

  /** Called by appendEvent; refuses to run outside a transaction so no event can be half-written. */
  recordPending(event: OutboxEvent): void {
    if (!this.pending || !this.db.inTransaction) throw new Error("outbox events must be written inside store.transaction");
    this.pending.push(event);
  }

  onEvent(listener: (event: OutboxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens `<dataDir>/agent.db`: WAL, synchronous=FULL (a run's state must survive power loss), foreign
 * keys on. The file is created 0600 before SQLite opens it: SQLite creates its own files 0644 (less
 * the umask) and gives the -wal and -shm files the database file's mode.
 */
export function openDatabase(dataDir: string, clock: Clock): AgentStore {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, DB_FILE);
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR | fs.constants.O_NOFOLLOW, 0o600));
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return new AgentStore(db, dataDir, clock);
}
