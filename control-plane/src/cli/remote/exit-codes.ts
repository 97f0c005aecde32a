/**
 * The exit codes of `holdfast`, documented in docs/cli.md and tested: scripts branch on them.
 * A code says what kind of thing went wrong, so a script can tell "try again later" from "fix it".
 */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed: a backup that failed, a validation that found damage. */
  failed: 1,
  /** The command line (or a file it names) is wrong: usage on stderr, nothing was sent. */
  usage: 2,
  /** What the command names does not exist (404). */
  notFound: 3,
  /** The state does not allow it now: busy, already exists (409). */
  conflict: 4,
  /** The control plane could not be reached, or refused the credential (401, 403). */
  unreachable: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of an HTTP answer that is not 2xx; 0 means no answer came at all. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 0 || status === 401 || status === 403) return EXIT.unreachable;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 400) return EXIT.usage;
  return EXIT.failed;
}
