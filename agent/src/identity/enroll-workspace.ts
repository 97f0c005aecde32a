import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fsyncDir } from "../fs-safe.js";

/** Work folders are named so; one left by a crash is removed by the next successful enrollment. */
const WORK_PREFIX = ".enroll-";

/**
 * Where an enrollment writes before the control plane accepted it: a 0700 folder inside the data dir.
 * `commit` moves the named files into the data dir (the last one is the marker that the enrollment
 * happened) and makes the data dir 0700; `discard` leaves the data dir exactly as it was: a data dir
 * this enrollment created is removed with whatever parents it created, a pre-existing one keeps its
 * files and its mode (nothing in it was touched).
 */
export class EnrollWorkspace {
  private constructor(
    private readonly dataDir: string,
    /** The topmost directory this enrollment created (the data dir or a parent of it), or null. */
    private readonly createdRoot: string | null,
    readonly dir: string,
  ) {}

  static open(dataDir: string): EnrollWorkspace {
    const createdRoot = fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 }) ?? null;
    try {
      const st = fs.lstatSync(dataDir);
      if (!st.isDirectory()) throw new Error(`${dataDir} is not a directory`);
      if (typeof process.getuid === "function" && st.uid !== process.getuid()) throw new Error(`${dataDir} is owned by uid ${st.uid}, not by this agent`);
      const dir = path.join(dataDir, `${WORK_PREFIX}${randomBytes(6).toString("hex")}`);
      fs.mkdirSync(dir, { mode: 0o700 });
      return new EnrollWorkspace(dataDir, createdRoot, dir);
    } catch (err) {
      if (createdRoot) fs.rmSync(createdRoot, { recursive: true, force: true });
      throw err;
    }
  }

  /** Moves `names` from the work folder into the data dir in order (each replaces what is there), then tidies up. */
  async commit(names: readonly string[]): Promise<void> {
    for (const name of names) await fs.promises.rename(path.join(this.dir, name), path.join(this.dataDir, name));
    await fsyncDir(this.dataDir);
    await fs.promises.chmod(this.dataDir, 0o700);
    for (const entry of await fs.promises.readdir(this.dataDir)) {
      if (entry.startsWith(WORK_PREFIX)) await fs.promises.rm(path.join(this.dataDir, entry), { recursive: true, force: true });
    }
  }

  async discard(): Promise<void> {
    await fs.promises.rm(this.createdRoot ?? this.dir, { recursive: true, force: true });
  }
}
