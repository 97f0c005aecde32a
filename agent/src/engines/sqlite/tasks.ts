import fs from "node:fs";
import { fingerprintDatabase } from "./fingerprint.js";
import { openReadOnly } from "./open-database.js";
import { assertSound, copySnapshot } from "./snapshot.js";
import type { SqliteTask, WorkerMessage } from "./worker-protocol.js";

type Post = (message: WorkerMessage) => void;

/** Runs a task, posting its results in order; throws on failure (the worker entry reports it). */
export async function runTask(task: SqliteTask, post: Post): Promise<void> {
  switch (task.kind) {
    case "probe":
      return probe(task.path, task.busyTimeoutMs, post);
    case "snapshot":
      return snapshot(task, post);
    case "verify":
      return verify(task.path, post);
    case "fingerprint":
      return fingerprint(task.path, task.busyTimeoutMs, post);
  }
}

function probe(file: string, busyTimeoutMs: number, post: Post): void {
  const db = openReadOnly(file, busyTimeoutMs);
  try {
    // Reading the schema is the real test: a foreign file fails here (SQLITE_NOTADB), a lock waits here.
    const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().get() as number;
    const sqliteVersion = db.prepare("SELECT sqlite_version()").pluck().get() as string;
    post({ type: "probe", result: { sqliteVersion, tables, sizeBytes: fs.statSync(file).size } });
  } finally {
    db.close();
  }
}

async function snapshot(task: Extract<SqliteTask, { kind: "snapshot" }>, post: Post): Promise<void> {
  const source = openReadOnly(task.path, task.busyTimeoutMs);
  let copy;
  try {
    copy = await copySnapshot(source, task.dest);
  } finally {
    source.close();
  }
  post({ type: "snapshot", pages: copy.pages, pageSize: copy.pageSize });
  // The engine streams the copy meanwhile; read-only, so these reads never change a byte of it.
  const db = openReadOnly(task.dest, 0);
  try {
    assertSound(db, copy.pages);
    post({ type: "checked" });
    if (task.fingerprint) post({ type: "fingerprint", fingerprint: fingerprintDatabase(db) });
  } finally {
    db.close();
  }
}

function verify(file: string, post: Post): void {
  const db = openReadOnly(file, 0);
  try {
    assertSound(db);
    post({ type: "checked" });
  } finally {
    db.close();
  }
}

function fingerprint(file: string, busyTimeoutMs: number, post: Post): void {
  const db = openReadOnly(file, busyTimeoutMs);
  try {
    // One read transaction: every table as of the same moment.
    db.exec("BEGIN");
    post({ type: "fingerprint", fingerprint: fingerprintDatabase(db) });
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}
