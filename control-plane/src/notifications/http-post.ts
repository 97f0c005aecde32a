// The modules, not their `request`: read at call time, so an interceptor installed later (msw in tests) sees the call.
import http from "node:http";
import https from "node:https";
import { HoldfastError } from "@holdfast/shared";
import { ENDPOINT_FORBIDDEN } from "../destinations/endpoint-guard.js";
import { forbiddenTarget, notifyLookup, refusedNotifyAddress } from "./address-guard.js";
import type { SendOptions } from "./message.js";

/** The most of an answer read: enough for the remote's reason, never a flood into memory. */
const MAX_ANSWER = 64 * 1024;

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * POSTs a JSON body and resolves with a 2xx answer, bounded in time as a whole (connect, TLS, the
 * answer). Every address the socket would use is checked first (address-guard.ts). A refusal is
 * NOTIFICATION_SEND_FAILED with the remote's own reason; 408, 429 and 5xx may be retried, another
 * 4xx (a revoked webhook, a wrong token) is final. The URL never reaches an error: chat webhooks
 * carry their token in it.
 */
export function postJson(url: string, body: unknown, opts: SendOptions & { headers?: Record<string, string> }): Promise<HttpAnswer> {
  const target = new URL(url);
  const literal = refusedNotifyAddress(target.hostname, opts.strictAddresses);
  if (literal) return Promise.reject(forbiddenTarget(literal));
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const request = target.protocol === "https:" ? https.request : http.request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), "user-agent": "Holdfast", ...opts.headers },
        lookup: notifyLookup(opts.strictAddresses),
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_ANSWER) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("error", (err) => reject(sendFailed(err)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8").slice(0, MAX_ANSWER);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve({ status, text });
          const retryable = status === 408 || status === 429 || status >= 500;
          reject(new HoldfastError("NOTIFICATION_SEND_FAILED", `The service answered ${status}: ${reasonOf(text) || res.statusMessage || "no reason given"}`, { status, reason: reasonOf(text) }, retryable));
        });
      },
    );
    req.on("error", (err) => reject(sendFailed(err)));
    req.end(payload);
  });
}

/** The remote's reason from its answer: the usual JSON fields of chat APIs, else the text's start. */
export function reasonOf(text: string): string {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    for (const key of ["description", "error", "message"]) if (typeof json[key] === "string") return (json[key] as string).slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 300);
}

function sendFailed(err: Error & { code?: string }): HoldfastError {
  if (err.code === ENDPOINT_FORBIDDEN) return forbiddenTarget(err.message);
  if (err.name === "TimeoutError" || err.name === "AbortError") return new HoldfastError("NOTIFICATION_SEND_FAILED", "The service did not answer in time", { reason: "timeout" });
  return new HoldfastError("NOTIFICATION_SEND_FAILED", `Could not reach the service: ${err.code ?? err.message}`, { reason: err.code ?? err.message });
}
