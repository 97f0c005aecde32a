import { Transform, type TransformCallback } from "node:stream";
import { HoldfastError } from "@holdfast/shared/protocol";

const HEAD = "--\n-- PostgreSQL database cluster dump\n--\n";
const TAIL = "\n-- PostgreSQL database cluster dump complete\n--\n";
/** Roles and tablespaces are small; anything bigger is not what we put at the head of a dump. */
const MAX_GLOBALS_BYTES = 64 * 1024 * 1024;

/**
 * Takes the cluster globals (`pg_dumpall --globals-only`, which a plain dump with `globals: true`
 * carries at its head) out of the stream and hands them to `onGlobals`, awaited before the database
 * part flows on. A stream without them passes through untouched. Why separate: restoring onto a
 * server where the roles exist stops at `CREATE ROLE` under ON_ERROR_STOP, and overwriting another
 * server's roles must be a choice of the operator (restore option `globals`), not a side effect.
 */
export class GlobalsSplitter extends Transform {
  private state: "probe" | "globals" | "pass" = "probe";
  private held = "";

  constructor(private readonly onGlobals: (sql: string) => Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.state === "pass") return cb(null, chunk);
    // latin1 maps bytes one to one: the markers are ASCII and the rest goes back out unchanged.
    this.held += chunk.toString("latin1");
    if (this.state === "probe") {
      if (this.held.length < HEAD.length && HEAD.startsWith(this.held)) return cb();
      if (!this.held.startsWith(HEAD)) return this.release(cb);
      this.state = "globals";
    }
    const end = this.held.indexOf(TAIL);
    if (end < 0) {
      if (this.held.length > MAX_GLOBALS_BYTES) return cb(new HoldfastError("RESTORE_FAILED", "The dump's globals section never ends", { stage: "globals" }));
      return cb();
    }
    const globals = this.held.slice(0, end + TAIL.length);
    this.held = this.held.slice(end + TAIL.length);
    this.onGlobals(Buffer.from(globals, "latin1").toString("utf8")).then(() => this.release(cb), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.state === "globals") return cb(new HoldfastError("RESTORE_FAILED", "The dump ended inside its globals section", { stage: "globals" }));
    cb(null, this.held.length > 0 ? Buffer.from(this.held, "latin1") : undefined);
  }

  private release(cb: TransformCallback): void {
    this.state = "pass";
    const rest = this.held;
    this.held = "";
    cb(null, rest.length > 0 ? Buffer.from(rest, "latin1") : undefined);
  }
}
