/**
 * The child process that runs one streamed operation of a local destination (`bounded-local.ts`
 * spawns it; the small ones go to the folder's worker, `local-worker-main.ts`): the operation as JSON
 * in argv, an object's bytes on stdin (put) or stdout (get), the result or the error as one IPC
 * message. The parent kills it when the folder stops answering.
 */
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { childFailure } from "./failures.js";
import type { ChildMessage, ParentMessage, StreamOperation } from "./local-operation.js";
import { localDestination } from "./local.js";

const send = (m: ChildMessage) => new Promise<void>((resolve) => (process.connected ? process.send!(m, () => resolve()) : resolve()));

/**
 * stdin as the object's bytes, ended only once the parent says its source ended well (`commit`): an
 * EOF alone may be the parent dying mid-copy, and a truncated object must never be renamed into place.
 */
function committedInput(): PassThrough {
  const input = new PassThrough({ highWaterMark: 1024 * 1024 });
  let ended = false;
  let committed = false;
  const finish = () => ended && committed && input.end();
  process.stdin.pipe(input, { end: false });
  process.stdin.on("end", () => {
    ended = true;
    finish();
  });
  process.on("message", (m: ParentMessage) => {
    if (m === "commit") {
      committed = true;
      finish();
    } else input.destroy(new Error("the control plane stopped sending the object"));
  });
  process.on("disconnect", () => {
    if (!committed) input.destroy(new Error("the control plane went away while sending the object"));
  });
  return input;
}

async function run(op: StreamOperation): Promise<void> {
  await send({ ready: true });
  const dest = localDestination({ path: op.root, readOnly: op.readOnly });
  switch (op.kind) {
    case "put":
      return send({ ok: await dest.put(committedInput(), op.name, op.bytes === undefined ? {} : { bytes: op.bytes }) });
    case "get": {
      const stream = await dest.get(op.name, { start: op.start ?? 0 });
      await send({ ok: "streaming" });
      return pipeline(stream, process.stdout);
    }
  }
}

run(JSON.parse(process.argv[2] ?? "null") as StreamOperation).then(
  () => process.disconnect?.(),
  async (err: unknown) => {
    await send({ error: childFailure(err) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
