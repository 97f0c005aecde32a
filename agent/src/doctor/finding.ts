/** One result of a doctor check: what was found and, unless it is fine, what to do about it. */
export interface Finding {
  /** Stable id of the check (`data-dir`, `tls-pin`…), for scripts reading --json. */
  check: string;
  status: "ok" | "warn" | "fail" | "skip";
  summary: string;
  fix?: string;
}

/** 0 all fine (skipped checks included), 1 at least one warning, 2 at least one failure. */
export function exitCodeOf(findings: readonly Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.status === "fail")) return 2;
  if (findings.some((f) => f.status === "warn")) return 1;
  return 0;
}

/**
 * Runs one check with a deadline: a hung DNS server or a tool that never answers becomes a failure of
 * that check, not a doctor that never returns. A throw becomes a failure naming the check.
 */
export async function bounded(check: string, timeoutMs: number, run: () => Promise<Finding[]>): Promise<Finding[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Finding[]>((resolve) => {
    timer = setTimeout(() => resolve([{ check, status: "fail", summary: `no answer within ${timeoutMs / 1000} s`, fix: "run doctor again; if it persists, look at what this check waits for" }]), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      run().catch((err: unknown): Finding[] => [{ check, status: "fail", summary: `check failed: ${err instanceof Error ? err.message : String(err)}` }]),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
