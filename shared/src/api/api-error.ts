import { ERROR_CATALOG, type ErrorCode, type FieldIssue } from "../errors.js";
import { z } from "zod";

/** The catalog's error body as the REST API sends it; the code is read loosely so a newer server's code still shows its message. */
const ErrorAnswer = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string().optional(),
  }),
});

const FieldIssues = z.array(z.object({ path: z.string(), message: z.string() }));

function isCatalogCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, code);
}

/**
 * A failed API call as the console shows it: the server's message, and what to do about it (the
 * catalog's action for the code). `code` is null when the answer was not one of the catalog's
 * (the control plane unreachable, a proxy's own error page, a code this console does not know).
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  readonly code: ErrorCode | null;
  readonly retryable: boolean;
  /** The catalog's sentence on what to do, or a generic one for answers outside the catalog. */
  readonly action: string;
  readonly details: Record<string, unknown> | undefined;
  /** The id the server logged the request under, for a report. */
  readonly requestId: string | undefined;

  constructor(init: { status: number; code: ErrorCode | null; message: string; retryable: boolean; action: string; details?: Record<string, unknown> | undefined; requestId?: string | undefined }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
    this.action = init.action;
    this.details = init.details;
    this.requestId = init.requestId;
  }

  /** VALIDATION_FAILED's `details.issues`: one per field, for a form to show beside each field. */
  get fieldIssues(): FieldIssue[] {
    if (this.code !== "VALIDATION_FAILED") return [];
    const parsed = FieldIssues.safeParse(this.details?.issues);
    return parsed.success ? parsed.data : [];
  }
}

/** The ApiError of an answer that is not 2xx, read from its body (it is consumed). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const requestId = res.headers.get("x-request-id") ?? undefined;
  const text = await res.text().catch(() => "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = ErrorAnswer.safeParse(json);
  if (!parsed.success) {
    return new ApiError({
      status: res.status,
      code: null,
      message: `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""} without an error Holdfast could read.`,
      retryable: res.status >= 500 || res.status === 429,
      action: "Check that the control plane is running and reachable (a proxy in front of it may have answered), then try again.",
      requestId,
    });
  }
  const { code, message, retryable, details } = parsed.data.error;
  const known = isCatalogCode(code) ? code : null;
  return new ApiError({
    status: res.status,
    code: known,
    message,
    retryable: retryable ?? (known ? ERROR_CATALOG[known].retryable : false),
    action: known ? ERROR_CATALOG[known].action : `Error ${code} is newer than this client: update it, or read the server log for the request id.`,
    details,
    requestId: parsed.data.error.requestId ?? requestId,
  });
}

/** A request that got no answer at all: offline, DNS, the control plane down, a connection reset. */
export function unreachableError(cause: unknown): ApiError {
  const error = new ApiError({
    status: 0,
    code: null,
    message: "The control plane could not be reached.",
    retryable: true,
    action: "Check your network connection and that the control plane is running, then try again.",
  });
  error.cause = cause;
  return error;
}
