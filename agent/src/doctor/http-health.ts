import http from "node:http";
import https from "node:https";
import type { Finding } from "./finding.js";

export interface HealthAnswer {
  findings: Finding[];
  /** The response's Date header and when the request left and the answer came, for the clock check. */
  date?: { header: string; sentAt: number; receivedAt: number };
}

/**
 * Step 4: `GET /healthz` answers 200. Over HTTPS only once the TLS step trusted the server (the pin
 * was checked there, so certificate checks are not repeated here); the body is not read past 4 KiB.
 */
export function checkHttpHealth(serverUrl: string, timeoutMs: number, now: () => number = Date.now): Promise<HealthAnswer> {
  const url = new URL("healthz", serverUrl.endsWith("/") ? serverUrl : `${serverUrl}/`);
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const sentAt = now();
    const req = client.request(url, { method: "GET", timeout: timeoutMs, rejectUnauthorized: false, headers: { accept: "application/json" } }, (res) => {
      const receivedAt = now();
      res.resume();
      const header = res.headers.date;
      const date = header ? { header, sentAt, receivedAt } : undefined;
      if (res.statusCode === 200) resolve({ findings: [{ check: "http", status: "ok", summary: `GET ${url.pathname} answered 200` }], ...(date ? { date } : {}) });
      else
        resolve({
          findings: [{ check: "http", status: "fail", summary: `GET ${url.pathname} answered ${res.statusCode}`, fix: "the URL reaches a server that is not a healthy Holdfast control plane: check the URL (and any proxy's routes)" }],
          ...(date ? { date } : {}),
        });
    });
    req.once("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.once("error", (err: NodeJS.ErrnoException) =>
      resolve({ findings: [{ check: "http", status: "fail", summary: `GET ${url.pathname} failed (${err.code ?? err.message})`, fix: "check that the control plane is running and the URL is right" }] }),
    );
    req.end();
  });
}
