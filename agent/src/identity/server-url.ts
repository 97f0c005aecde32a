import { HoldfastError } from "@holdfast/shared/protocol";

/**
 * Trailing slashes would double up with the route names. Its own module: `run` normalizes the
 * configured server URL without loading enrollment (and jose with it).
 */
export function normalizeServerUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HoldfastError("VALIDATION_FAILED", `Server URL must be http(s): ${serverUrl}`);
  }
  return url.toString().replace(/\/+$/, "");
}
