import os from "node:os";
import type { CodecTools } from "../pipeline/codec.js";

/** The options every engine takes. */
export interface EngineOptionsBase {
  /** Where the engine's private temp files go (credential files, work dirs, copies, drill scratches); os.tmpdir() (which honours TMPDIR) by default. */
  tmpDir?: string;
  /** The `zstd` binary restores decompress with; "zstd" on PATH by default. */
  zstdPath?: string;
}

/** What every engine keeps of its options (their fields are all optional, so none at all is `{}`). */
export abstract class EngineBase<O extends EngineOptionsBase> {
  protected readonly opts: O;
  /** Public for the whole-server module (whole-server.ts), which runs the engine's tools around it. */
  readonly tmpDir: string;
  readonly codecTools: CodecTools;

  constructor(opts?: O) {
    this.opts = opts ?? ({} as O);
    this.tmpDir = this.opts.tmpDir ?? os.tmpdir();
    this.codecTools = this.opts.zstdPath ? { zstdPath: this.opts.zstdPath } : {};
  }
}
