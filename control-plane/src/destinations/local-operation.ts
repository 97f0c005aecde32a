import type { ErrorBody } from "@holdfast/shared";
import type { ObjectEntry, ObjectInfo, ProbeResult } from "./types.js";

/** The folder a call acts on, and whether what it writes is made read-only (`readOnly` in its config). */
type Folder = { root: string; readOnly?: true };

/** A call that moves an object's bytes: its own child process, the bytes on its stdin or stdout. */
export type StreamOperation = Folder & ({ kind: "put"; name: string; bytes?: number } | { kind: "get"; name: string; start?: number });

/** A call that answers one value: served by the folder's long-lived worker (`local-worker.ts`). */
export type WorkerOperation = Folder & (
  /** A small object whole (SMALL_PUT_BYTES at most): one message, so never half of it. */
  | { kind: "put"; name: string; data: Uint8Array }
  | { kind: "link"; name: string; source: string; bytes: number }
  | { kind: "stat" | "delete"; name: string }
  | { kind: "list"; prefix: string }
  | { kind: "freeSpace" }
  | { kind: "test"; probeName: string }
);

/** One call of the local destination, as the parent hands it to a child process (argv or IPC). */
export type LocalOperation = StreamOperation | WorkerOperation;

/** What each operation answers. */
export interface LocalResults {
  put: { path: string; bytes: number };
  get: "streaming";
  link: { path: string; bytes: number } | null;
  stat: ObjectInfo | null;
  list: ObjectEntry[];
  delete: undefined;
  freeSpace: number | null;
  test: ProbeResult;
}

/**
 * A streaming child's IPC messages: `ready` once Node has started (the folder's timer starts there),
 * then the result or the catalog error. `get` answers `streaming`, then the bytes follow on stdout.
 */
export type ChildMessage = { ready: true } | { ok: LocalResults[keyof LocalResults] } | { error: ErrorBody };

/** The parent's IPC message during a put: the source ended well (`commit`), or failed (`abort`). */
export type ParentMessage = "commit" | "abort";

/** A request to the worker; its answer carries the same id. */
export interface WorkerRequest {
  id: number;
  op: WorkerOperation;
}

/** The worker's IPC messages: `ready` once, then one answer per request, in whatever order they end. */
export type WorkerMessage = { ready: true } | { id: number; ok: LocalResults[keyof LocalResults] } | { id: number; error: ErrorBody };
