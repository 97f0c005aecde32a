/** The major version in a tool's `--version` line: `pg_dump (PostgreSQL) 16.4 (Debian …)` → 16. */
export function parseToolMajor(versionLine: string | null): number | null {
  if (!versionLine) return null;
  const afterName = versionLine.includes(")") ? versionLine.slice(versionLine.indexOf(")") + 1) : versionLine;
  const m = /(\d+)(?:\.\d+)*/.exec(afterName);
  return m ? Number(m[1]) : null;
}

/** `server_version_num` → major: 160004 → 16, 90624 → 9. */
export function serverMajorOf(versionNum: number | null | undefined): number | null {
  return typeof versionNum === "number" && versionNum > 0 ? Math.floor(versionNum / 10_000) : null;
}
