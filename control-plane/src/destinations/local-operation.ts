import type { ErrorBody } from "@holdfast/shared";
import type { ObjectEntry, ObjectInfo, ProbeResult } from "./types.js";

/** One call of the local destination, as the parent hands it to the child process (argv, JSON). */
export type LocalOperation = { root: string } & (
  | { kind: "put"; name: string; bytes?: number }
  | { kind: "get"; name: string; start?: number }
  | { kind: "link"; name: string; source: string; bytes: number }
  | { kind: "stat" | "delete"; name: string }
  | { kind: "list"; prefix: string }
  | { kind: "freeSpace" }
  | { kind: "test"; probeName: string }
);

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
 * The child's IPC messages: `ready` once Node has started (the folder's timer starts there), then the
 * result or the catalog error. `get` answers `streaming`, then the bytes follow on stdout.
 */
export type ChildMessage = { ready: true } | { ok: LocalResults[keyof LocalResults] } | { error: ErrorBody };

/** The parent's IPC message during a put: the source ended well (`commit`), or failed (`abort`). */
export type ParentMessage = "commit" | "abort";
