// The shell's backup, doing what the agent does: `pg_dump | CODEC | tee FILE | sha256sum && sync FILE`.
// It is bash running a fixed script (values come in as positional arguments, never spliced into the
// script): real pipes between real processes, as an operator's cron line would have them. `tee FILE |
// sha256sum` is `tee >(sha256sum) > FILE` with the roles of its two outputs swapped: the same processes
// and bytes, but bash waits for sha256sum before `sync`, as the agent has the hash before
// backupCompleted. `sync FILE` (coreutils) fsyncs that one file, as the agent fsyncs its staged artifact.
import { spawn } from "node:child_process";
import { PG_CONN } from "./databases.js";

export type ShellCodec = "none" | "gzip" | "zstd" | "zstd+age";

const SCRIPT = String.raw`
set -o pipefail
out=$1 db=$2 codec=$3 level=$4 recipient=$5
case $codec in
  none) pg_dump --format=plain "$db" | tee "$out" | sha256sum > "$out.sha256" ;;
  gzip) pg_dump --format=plain "$db" | gzip "-$level" | tee "$out" | sha256sum > "$out.sha256" ;;
  zstd) pg_dump --format=plain "$db" | zstd -q -c "-$level" -T0 | tee "$out" | sha256sum > "$out.sha256" ;;
  zstd+age) pg_dump --format=plain "$db" | zstd -q -c "-$level" -T0 | age -r "$recipient" | tee "$out" | sha256sum > "$out.sha256" ;;
  *) echo "unknown codec $codec" >&2; exit 2 ;;
esac && sync "$out"
`;

/** The shell's delivery: the backup above into `staging`, then `cp staging dest && sync dest`. */
const DELIVER = String.raw`
set -o pipefail
staging=$1 dest=$2 db=$3 level=$4
pg_dump --format=plain "$db" | zstd -q -c "-$level" -T0 | tee "$staging" | sha256sum > "$staging.sha256" && sync "$staging" && cp "$staging" "$dest" && sync "$dest"
`;

function bash(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PGHOST: PG_CONN.host, PGPORT: String(PG_CONN.port), PGUSER: PG_CONN.username };
    const child = spawn("bash", ["-c", script, "bench", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => void (stderr = (stderr + c.toString()).slice(-4000)));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`shell pipeline exited ${code}: ${stderr.trim()}`))));
  });
}

export function shellBackup(out: string, database: string, codec: ShellCodec, level = 3, recipient = ""): Promise<void> {
  return bash(SCRIPT, [out, database, codec, String(level), recipient]);
}

export function shellDelivery(staging: string, dest: string, database: string, level = 3): Promise<void> {
  return bash(DELIVER, [staging, dest, database, String(level)]);
}
