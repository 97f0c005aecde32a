import { randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { HoldfastError } from "@holdfast/shared/protocol";

const NL = 0x0a;
const BACKSLASH = 0x5c;
/** The restrict-mode lines pg_dump itself writes since 17.6/16.10/15.14 (`\restrict <key>`, `\unrestrict <key>`). */
const OWN_RESTRICT = /^\\(un)?restrict [A-Za-z0-9]{1,128}\r?$/;
const COPY_START = /^COPY .* FROM stdin;\r?$/;
const COPY_END = /^\\\.\r?$/;

/** A key nobody can guess: psql leaves restricted mode only for `\unrestrict <this key>`. */
export function newRestrictKey(): string {
  return randomBytes(24).toString("hex");
}

/**
 * Feeds a plain dump to psql without letting it run meta-commands (`\!`, `\copy ... program`,
 * `\connect`): the stream starts with our own `\restrict <random key>` when psql knows it, and the
 * dump's own restrict/unrestrict lines (outside COPY data) are dropped, since psql refuses a nested
 * `\restrict` and we do not want a dump's `\unrestrict` anyway. Without `\restrict` support
 * (`restrictKey` null), any other line starting with a backslash outside COPY data is refused: this
 * line scan does not know SQL quoting, so a literal holding such a line is refused too (safe side).
 */
export class PsqlGuard extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  private inCopy = false;
  private lineNo = 0;

  constructor(private readonly restrictKey: string | null) {
    super();
    if (restrictKey) this.push(Buffer.from(`\\restrict ${restrictKey}\n`));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    let keepFrom = 0;
    try {
      for (let nl = buf.indexOf(NL, start); nl !== -1; nl = buf.indexOf(NL, start)) {
        if (!this.keep(buf.subarray(start, nl))) {
          if (start > keepFrom) this.push(buf.subarray(keepFrom, start));
          keepFrom = nl + 1;
        }
        start = nl + 1;
      }
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (start > keepFrom) this.push(buf.subarray(keepFrom, start));
    this.carry = Buffer.from(buf.subarray(start));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.carry.length > 0 && this.keep(this.carry)) this.push(this.carry);
      if (this.restrictKey) this.push(Buffer.from(`\n\\unrestrict ${this.restrictKey}\n`));
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  /** Whether a line goes through; throws on a meta-command it must refuse. */
  private keep(line: Buffer): boolean {
    this.lineNo++;
    if (this.inCopy) {
      if (line[0] === BACKSLASH && COPY_END.test(line.toString("latin1"))) this.inCopy = false;
      return true;
    }
    if (line[0] === 0x43 /* C */ && COPY_START.test(line.toString("utf8"))) {
      this.inCopy = true;
      return true;
    }
    if (line[0] !== BACKSLASH) return true;
    const text = line.toString("utf8");
    if (OWN_RESTRICT.test(text)) return false;
    if (this.restrictKey) return true; // psql in restricted mode refuses it, and the restore fails there
    throw new HoldfastError("RESTORE_FAILED", `The plain dump holds a psql meta-command at line ${this.lineNo}; refused`, {
      stage: "restore",
      line: this.lineNo,
      text: text.slice(0, 80),
    });
  }
}
