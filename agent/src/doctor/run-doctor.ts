import { withConfiguredServer } from "../identity/configured-server.js";
import { isLoopbackHost } from "@holdfast/shared/protocol";
import { defaultEngines } from "../engines/registry.js";
import type { EngineRegistry } from "../engines/types.js";
import { stagingRootFor } from "../staging/run-folders.js";
import { judgeClockSkew } from "./clock-skew.js";
import { configuredEngines } from "./configured-engines.js";
import { checkDns } from "./dns-lookup.js";
import { checkDumpTools } from "./dump-tools.js";
import { checkEnrollment } from "./enrollment.js";
import { bounded, type Finding } from "./finding.js";
import { checkFreeSpace } from "./free-space.js";
import { checkHttpHealth, type HealthAnswer } from "./http-health.js";
import { checkPrivateDir } from "./private-dir.js";
import { checkTcp } from "./tcp-connect.js";
import { checkTls } from "./tls-pin.js";
import { checkUnitStatus } from "./unit-status.js";

export interface DoctorOptions {
  dataDir: string;
  /** Where staging lives (the agent's os.tmpdir()). */
  tmpDir: string;
  /** HOLDFAST_PG_BIN_ROOT, so the doctor looks at the tools the runs use. */
  pgBinRoot?: string | undefined;
  /** Per network step and per tool; the whole run is bounded by the sum. */
  timeoutMs?: number;
  engines?: EngineRegistry;
  pathVar?: string;
  /** The config file's control planes, which win over the enrolled URL (identity/configured-server.ts). */
  servers?: string[] | undefined;
}

/** DNS, TCP, TLS (with the pin) and HTTP to the server, each step reported, stopping at the first that fails. */
async function checkServer(serverUrl: string, pins: readonly string[], insecure: boolean, timeoutMs: number): Promise<Finding[]> {
  const url = new URL(serverUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const findings: Finding[] = [];
  let address: string | null = null;
  const dns = await bounded("dns", timeoutMs, async () => {
    const r = await checkDns(host);
    address = r.address;
    return r.findings;
  });
  findings.push(...dns);
  if (!address) return findings;
  const tcp = await bounded("tcp", timeoutMs + 1000, () => checkTcp(address!, port, timeoutMs));
  findings.push(...tcp);
  if (tcp.some((f) => f.status === "fail")) return findings;
  if (url.protocol === "https:") {
    let trusted = false;
    findings.push(
      ...(await bounded("tls", timeoutMs + 1000, async () => {
        const r = await checkTls({ address: address!, host, port, pins, timeoutMs });
        trusted = r.trusted;
        return r.findings;
      })),
    );
    if (!trusted) return findings;
  } else if (isLoopbackHost(host)) {
    findings.push({ check: "tls", status: "ok", summary: "plain HTTP on loopback: the link never leaves this host" });
  } else {
    findings.push({
      check: "tls",
      status: "warn",
      summary: `plain HTTP to ${host}${insecure ? " (enrolled with --insecure)" : ""}: the link is not encrypted`,
      fix: "serve the control plane over HTTPS (holdfast serve --tls-cert --tls-key) and enroll again with https:// and --ca-pin",
    });
  }
  // The request's own timeout is per idle socket; `bounded` caps a server that answers byte by byte.
  let date: HealthAnswer["date"];
  const health = await bounded("http", timeoutMs + 1000, async () => {
    const r = await checkHttpHealth(serverUrl, timeoutMs);
    date = r.date;
    return r.findings;
  });
  findings.push(...health);
  if (date || health.every((f) => f.status !== "fail")) findings.push(judgeClockSkew(date));
  return findings;
}

/** Every check, each bounded in time; the findings in a stable order. */
export async function runDoctor(opts: DoctorOptions): Promise<Finding[]> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const engines = opts.engines ?? defaultEngines({ tmpDir: opts.tmpDir, ...(opts.pgBinRoot ? { pgBinRoot: opts.pgBinRoot } : {}) });
  const findings: Finding[] = [];
  findings.push(...(await bounded("data-dir", timeoutMs, () => checkPrivateDir("data-dir", "data dir", opts.dataDir))));
  const enrollment = await checkEnrollment(opts.dataDir).catch((err: unknown) => ({
    identity: null,
    findings: [{ check: "enrollment", status: "fail", summary: `could not read the enrollment: ${String(err)}` } satisfies Finding],
  }));
  findings.push(...enrollment.findings);
  const identity = enrollment.identity ? withConfiguredServer(enrollment.identity, { servers: opts.servers }) : null;
  if (identity) {
    const staging = stagingRootFor(opts.tmpDir, identity.agentId);
    findings.push(
      ...(await bounded("staging-dir", timeoutMs, () =>
        checkPrivateDir("staging-dir", "staging dir", staging, { missingIsOk: "the agent creates it at start (under systemd, in the unit's private /tmp)" }),
      )),
    );
    findings.push(...(await bounded("free-space", timeoutMs, () => checkFreeSpace("free-space", "staging", staging))));
  }
  findings.push(...(await bounded("free-space", timeoutMs, () => checkFreeSpace("free-space", "data dir", opts.dataDir))));
  findings.push(...(await bounded("dump-tools", timeoutMs * 2, async () => checkDumpTools(engines, configuredEngines(opts.dataDir)))));
  if (identity) findings.push(...(await checkServer(identity.serverUrl, identity.pins, identity.insecure, timeoutMs)));
  else findings.push({ check: "server", status: "skip", summary: "not enrolled: no control plane to reach" });
  findings.push(...(await bounded("unit", timeoutMs, () => checkUnitStatus(timeoutMs, opts.pathVar))));
  return findings;
}

