import type { ApiError } from "@holdfast/shared";

/**
 * The server's VALIDATION_FAILED issues as a form's field errors (`{"config.path": "must be…"}`),
 * for the fields the form has; issues of other paths stay in the error shown above the form.
 */
export function fieldErrorsFrom(error: ApiError, fields: readonly string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.fieldIssues) if (fields.includes(issue.path) && !errors[issue.path]) errors[issue.path] = issue.message;
  return errors;
}
