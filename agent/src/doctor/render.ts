import { exitCodeOf, type Finding } from "./finding.js";

const MARK: Record<Finding["status"], string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };

/** For a person at a terminal: one line per finding with its mark, its fix indented below, a verdict last. */
export function renderText(findings: readonly Finding[]): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines = findings.flatMap((f) => [
    `${MARK[f.status]} ${f.check.padEnd(width)}  ${f.summary}`,
    ...(f.fix && f.status !== "ok" ? [`  ${" ".repeat(width)}  fix: ${f.fix}`] : []),
  ]);
  const count = (s: Finding["status"]) => findings.filter((f) => f.status === s).length;
  const verdict = ["all checks passed", "warnings: the agent works, but look at the ! lines", "failures: the agent cannot work until the ✗ lines are fixed"][exitCodeOf(findings)];
  return `${lines.join("\n")}\n\n${count("ok")} ok, ${count("warn")} warning(s), ${count("fail")} failure(s), ${count("skip")} skipped: ${verdict}\n`;
}

/** For scripts: the findings and the exit code, one JSON document. */
export function renderJson(findings: readonly Finding[]): string {
  return `${JSON.stringify({ exitCode: exitCodeOf(findings), findings }, null, 2)}\n`;
}
