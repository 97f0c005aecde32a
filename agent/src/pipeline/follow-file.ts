import fs from "node:fs";
import { promisify } from "node:util";
import { PIPELINE_CHUNK_BYTES } from "./chunk-size.js";

const read = promisify(fs.read);

/** How long a reader that caught up with the writer waits before it looks again (or the writer ended). */
export const FOLLOW_WAIT_MS = 20;

/**
 * The bytes of the file open at `fd`, from its start, while another process (a dump tool that was
 * given the descriptor as its stdout) appends to it: positional reads (pread) leave the writer's
 * offset alone. Once `ended` settles (the writer exited), it reads what is left and stops. A reader
 * that caught up waits for `ended` or FOLLOW_WAIT_MS, whichever comes first.
 */
export async function* followFile(fd: number, ended: Promise<unknown>): AsyncGenerator<Buffer> {
  let over = false;
  ended.then(
    () => (over = true),
    () => (over = true),
  );
  let position = 0;
  for (;;) {
    const wasOver = over;
    const buffer = Buffer.allocUnsafe(PIPELINE_CHUNK_BYTES);
    const { bytesRead } = await read(fd, buffer, 0, buffer.length, position);
    if (bytesRead > 0) {
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
      continue;
    }
    // Nothing new: done if the writer had already ended before this read, else wait for more.
    if (wasOver) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, FOLLOW_WAIT_MS);
      ended.then(
        () => (clearTimeout(t), resolve()),
        () => (clearTimeout(t), resolve()),
      );
    });
  }
}
