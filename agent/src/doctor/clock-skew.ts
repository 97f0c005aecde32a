import { AGENT_JWT } from "@holdfast/shared/protocol";
import type { Finding } from "./finding.js";

/** The agent itself warns past this (link/session.ts). */
const WARN_SKEW_MS = 10_000;

/**
 * This host's clock against the control plane's Date header. The header has one-second resolution and
 * the server stamped it somewhere between sending and receiving, so the midpoint is compared and up to
 * one second plus half the round trip is not counted. Past the JWT's tolerance the control plane refuses
 * every connection of this agent (401).
 */
export function judgeClockSkew(date: { header: string; sentAt: number; receivedAt: number } | undefined): Finding {
  const check = "clock";
  if (!date) return { check, status: "warn", summary: "the control plane sent no Date header: clock skew unknown", fix: "check the clock by hand (timedatectl)" };
  const server = Date.parse(date.header);
  if (Number.isNaN(server)) return { check, status: "warn", summary: `unreadable Date header: ${date.header.slice(0, 64)}`, fix: "check the clock by hand (timedatectl)" };
  const local = (date.sentAt + date.receivedAt) / 2;
  const slack = 1000 + (date.receivedAt - date.sentAt) / 2;
  const raw = local - server;
  const skew = Math.sign(raw) * Math.max(0, Math.abs(raw) - slack);
  const seconds = `${Math.abs(Math.round(raw / 1000))} s ${raw >= 0 ? "ahead of" : "behind"} the control plane`;
  const fix = "synchronise the clock: timedatectl set-ntp true (or install chrony), on this host and the control plane";
  if (Math.abs(skew) > AGENT_JWT.clockToleranceSeconds * 1000) return { check, status: "fail", summary: `this clock is ${seconds}: the control plane refuses its tokens`, fix };
  if (Math.abs(skew) > WARN_SKEW_MS) return { check, status: "warn", summary: `this clock is ${seconds}`, fix };
  return { check, status: "ok", summary: `clock within ${Math.max(1, Math.round(slack / 1000))} s of the control plane's` };
}
