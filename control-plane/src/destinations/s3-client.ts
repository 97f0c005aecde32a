import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { S3Client } from "@aws-sdk/client-s3";
import { HoldfastError, type S3DestinationConfig } from "@holdfast/shared";
import { assertEndpointLiteralAllowed, ENDPOINT_FORBIDDEN, guardedLookup } from "./endpoint-guard.js";
import { reasonOf } from "./failures.js";

const AWS_HOST = /(^|\.)amazonaws\.com(\.cn)?$/i;

/**
 * A client for one destination. Credentials are the configured ones only: the SDK's default chain
 * (environment, instance metadata) is never consulted. Non-AWS endpoints get checksums only where
 * the API requires them: many S3-compatible servers refuse the SDK's default flexible checksums.
 * A literal refused address is refused here: sockets connect to an address without a lookup.
 */
export function newS3Client(config: S3DestinationConfig): S3Client {
  assertEndpointLiteralAllowed(config);
  const custom = config.endpoint !== undefined && !AWS_HOST.test(new URL(config.endpoint).hostname);
  const lookup = config.allowPrivateEndpoint ? undefined : guardedLookup;
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    ...(custom ? { requestChecksumCalculation: "WHEN_REQUIRED" as const, responseChecksumValidation: "WHEN_REQUIRED" as const } : {}),
    requestHandler: {
      connectionTimeout: 10_000,
      socketTimeout: 120_000,
      httpAgent: new HttpAgent({ keepAlive: true, ...(lookup ? { lookup } : {}) }),
      httpsAgent: new HttpsAgent({ keepAlive: true, ...(lookup ? { lookup } : {}) }),
    },
  });
}

const AUTH_ERRORS = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed", "InvalidSecurity"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Whether the error says the object (or its folder) is not there. */
export function isS3NotFound(err: unknown): boolean {
  const name = (err as Error).name;
  return name === "NotFound" || name === "NoSuchKey" || (statusOf(err) === 404 && name !== "NoSuchBucket");
}

/** Any failure of an S3 call as a catalog error; `action` says what was being done. */
export function s3Failure(err: unknown, action: string): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const name = (err as Error).name;
  const status = statusOf(err);
  const code = (err as NodeJS.ErrnoException).code;
  const reason = reasonOf(err);
  const details = { reason, ...(status ? { status } : {}) };
  if (code === ENDPOINT_FORBIDDEN) return new HoldfastError("DESTINATION_ENDPOINT_FORBIDDEN", `${action}: ${(err as Error).message}`, details);
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    return new HoldfastError("DESTINATION_AUTH_FAILED", `${action}: the S3 server refused the credentials (${name})`, details);
  }
  const network = (code !== undefined && NETWORK_CODES.has(code)) || name === "TimeoutError" || name === "RequestTimeout";
  if (network || (status !== undefined && status >= 500)) {
    return new HoldfastError("DESTINATION_UNREACHABLE", `${action}: the S3 server could not be reached (${reason})`, details);
  }
  if (status !== undefined && status >= 400) return new HoldfastError("DESTINATION_REFUSED", `${action}: ${reason}`, details);
  return new HoldfastError("DELIVERY_FAILED", `${action}: ${reason}`, details);
}
