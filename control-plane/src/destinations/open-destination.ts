import type { DestinationConfig, DestinationType, LocalDestinationConfig, S3DestinationConfig, SftpDestinationConfig } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { boundedLocalDestination } from "./bounded-local.js";
import { findDestinationRow, fullConfig } from "./destination-rows.js";
import { assertEndpointAllowed } from "./endpoint-guard.js";
import { s3Destination } from "./s3.js";
import { sftpDestination } from "./sftp.js";
import type { Destination, ProbeResult } from "./types.js";

/** Settings of the control plane that bound a destination's calls (HOLDFAST_LOCAL_DESTINATION_TIMEOUT_MS). */
export type DestinationLimits = Partial<Pick<AppContext["env"], "localDestinationTimeoutMs">>;

/** The implementation for a type and its full (secret-bearing) config. */
export function openDestination(type: DestinationType, config: DestinationConfig, limits: DestinationLimits = {}): Destination {
  switch (type) {
    case "local":
      return boundedLocalDestination(config as LocalDestinationConfig, { timeoutMs: limits.localDestinationTimeoutMs });
    case "s3":
      return s3Destination(config as S3DestinationConfig);
    case "sftp":
      return sftpDestination(config as SftpDestinationConfig);
  }
}

/**
 * Checks a config against the live destination: the S3 endpoint policy (with DNS), Object Lock on
 * the bucket where the config asks for it, then a probe that writes, reads back and deletes an
 * object. Its failures are the catalog's 4xx/503 answers; credentials that may not delete pass,
 * with `canDelete: false`.
 */
export async function verifyDestination(type: DestinationType, config: DestinationConfig, limits: DestinationLimits = {}): Promise<ProbeResult> {
  if (type === "s3") await assertEndpointAllowed(config as S3DestinationConfig);
  return openDestination(type, config, limits).test();
}

/** The writer for a stored destination, its credentials decrypted (DESTINATION_NOT_FOUND once deleted). */
export async function openStoredDestination(ctx: Pick<AppContext, "database" | "secrets" | "env">, id: string): Promise<Destination> {
  const row = await findDestinationRow(ctx, id);
  return openDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
}
