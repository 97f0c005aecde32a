/**
 * The long-lived child that serves a local destination's small operations (`local-worker.ts` starts
 * it, one per folder): each request carries an id, runs at once beside the others, and its result or
 * catalog error goes back under that id. The parent kills it when the folder stops answering or it
 * has been idle a while; it also ends by itself once the parent is gone (the IPC channel closes).
 */
import { Readable } from "node:stream";
import { childFailure } from "./failures.js";
import type { LocalResults, WorkerMessage, WorkerOperation, WorkerRequest } from "./local-operation.js";
import { localDestination } from "./local.js";

const send = (m: WorkerMessage) => process.connected && process.send!(m, () => {});

async function answer(op: WorkerOperation): Promise<LocalResults[keyof LocalResults]> {
  // A destination per request: its pseudo-filesystem check (symlinks resolved) runs again for each
  // call, as when each call had its own process; a symlink changed since is seen.
  const dest = localDestination({ path: op.root, readOnly: op.readOnly }, op.kind === "test" ? { probeName: op.probeName } : {});
  switch (op.kind) {
    case "put":
      return dest.put(Readable.from([Buffer.from(op.data.buffer, op.data.byteOffset, op.data.byteLength)]), op.name);
    case "link":
      return dest.link!(op.source, op.name, { bytes: op.bytes });
    case "stat":
      return dest.stat(op.name);
    case "list":
      return dest.list(op.prefix);
    case "delete":
      await dest.delete(op.name);
      return undefined;
    case "freeSpace":
      return dest.freeSpace();
    case "test":
      return dest.test();
  }
}

process.on("message", ({ id, op }: WorkerRequest) => {
  answer(op).then(
    (ok) => send({ id, ok }),
    (err: unknown) => send({ id, error: childFailure(err) }),
  );
});
send({ ready: true });
