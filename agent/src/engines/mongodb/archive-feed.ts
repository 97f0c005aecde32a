import { Writable } from "node:stream";
import { killTree, type FilterProcess } from "../spawn-tool.js";
import { parseArchivePrelude, type ArchivePrelude } from "./archive-prelude.js";

/**
 * The end of a restore pipeline: holds the first bytes of the archive until its prelude is
 * complete, then starts the restore tool with what the prelude says (`start`) and feeds it the
 * whole stream, those first bytes included, with backpressure. When the pipeline fails, the tool
 * is killed before its stdin closes, so it never takes a cut archive for a whole one.
 */
export class ArchiveFeed extends Writable {
  private head: Buffer = Buffer.alloc(0);
  private tool: FilterProcess | null = null;

  constructor(private readonly start: (prelude: ArchivePrelude) => FilterProcess) {
    super({ highWaterMark: 0 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.tool) {
      this.tool.stdin.write(chunk, (err) => cb(err ?? null));
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    let prelude: ArchivePrelude | null;
    try {
      prelude = parseArchivePrelude(this.head);
      if (prelude) {
        this.tool = this.start(prelude);
        this.tool.stdin.on("error", () => {});
      }
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (!this.tool) return cb();
    const head = this.head;
    this.head = Buffer.alloc(0);
    this.tool.stdin.write(head, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.tool) return cb(new Error("the archive ended before its prelude"));
    this.tool.stdin.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (err && this.tool) {
      killTree(this.tool.child);
      this.tool.stdin.destroy();
    }
    cb(err);
  }
}
