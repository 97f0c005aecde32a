import { createPublicKey } from "node:crypto";
import { curlPin, type TlsPin } from "@holdfast/shared";
import { type ChainPin, pinsOfChain, publicKeyPin } from "@holdfast/shared/node";
import { readPrivateKey, type TlsMaterial } from "./tls-files.js";

/** The pins this control plane vouches for: its chain's, and the next key's before a renewal. */
export interface ServerPins {
  /** Leaf first; empty when TLS ends at a reverse proxy. */
  chain: ChainPin[];
  /** HOLDFAST_TLS_NEXT_KEY's pin: pushed to agents so the certificate renewed with that key is trusted. */
  next: TlsPin | null;
  /** HOLDFAST_PUBLIC_PINS: the proxy's pins, when a reverse proxy terminates TLS. */
  published: TlsPin[];
}

export function computeServerPins(material: TlsMaterial | null, nextKeyFile: string | undefined, published: readonly TlsPin[]): ServerPins {
  const next = nextKeyFile ? publicKeyPin(createPublicKey(readPrivateKey(nextKeyFile, "HOLDFAST_TLS_NEXT_KEY"))) : null;
  return { chain: material ? pinsOfChain(material.chain) : [], next, published: [...published] };
}

const unique = (pins: readonly TlsPin[]) => [...new Set(pins)];

/** What agents are told over the link (updatePins): every pin they may meet now or after the renewal. */
export function pinsToPush(p: ServerPins): TlsPin[] {
  return unique([...p.chain.map((c) => c.pin), ...(p.next ? [p.next] : []), ...p.published]);
}

/**
 * The `--ca-pin` of the enroll command: the topmost certificate of the served chain (the CA when the
 * file carries it, the leaf when self-signed), so a renewal by the same CA keeps matching; the
 * published pins when a proxy terminates TLS.
 */
export function enrollmentPins(p: ServerPins): TlsPin[] {
  const top = p.chain.at(-1);
  return unique([...(top ? [top.pin] : []), ...p.published]);
}

/**
 * curl's `--pinnedpubkey` checks the leaf's key only, so the install one-liner carries the leaf's pin
 * (and the published ones, one of which should be the proxy's leaf), joined with `;`.
 */
export function curlPins(p: ServerPins): string | null {
  const pins = unique([...(p.chain[0] ? [p.chain[0].pin] : []), ...(p.next ? [p.next] : []), ...p.published]);
  return pins.length === 0 ? null : pins.map(curlPin).join(";");
}
