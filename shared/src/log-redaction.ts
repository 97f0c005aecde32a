/**
 * Field names that may hold a secret in a log line, on either side: credentials (`password`,
 * `secretAccessKey`, `privateKey`), bearer material (`authorization`, `cookie`, `token`,
 * `uploadToken`, `downloadToken`), an age private key given for a restore (`identity`), the control
 * plane's `masterKey`. One list, so the agent and the control plane censor the same things.
 */
export const SECRET_LOG_FIELDS = [
  "authorization",
  "cookie",
  "token",
  "uploadToken",
  "downloadToken",
  "password",
  "privateKey",
  "secretAccessKey",
  "identity",
  "masterKey",
] as const;

/** What replaces a censored value. */
export const LOG_CENSOR = "[REDACTED]";

/**
 * pino's `redact` option: each field at the top of a line and under one, two or three levels of
 * objects (`{ frame: { payload: { connection: { password } } } }`). pino censors them before it
 * serialises the line; deeper nesting is not logged by either side.
 */
export const LOG_REDACTION = {
  paths: SECRET_LOG_FIELDS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  censor: LOG_CENSOR,
};
