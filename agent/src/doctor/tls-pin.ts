import net from "node:net";
import tls from "node:tls";
import type { Finding } from "./finding.js";
import type { TlsPin } from "@holdfast/shared/protocol";
import { certificatePin, peerChain, verifyPinnedChain } from "@holdfast/shared/node";

/**
 * Step 3: the TLS handshake, and whether the server's chain is one this agent trusts: with pins, one
 * certificate of the chain must match one (a self-signed certificate is then fine); without, the
 * system's CAs must vouch for it. Returns whether later steps may talk HTTPS to it.
 */
export function checkTls(opts: { address: string; host: string; port: number; pins: readonly string[]; timeoutMs: number }): Promise<{ trusted: boolean; findings: Finding[] }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: opts.address,
      port: opts.port,
      // SNI takes names only; an IP in the URL sends none.
      ...(net.isIP(opts.host) ? {} : { servername: opts.host }),
      // Judged below, against the pins or the CAs, so that a mismatch can be reported instead of a reset.
      rejectUnauthorized: false,
    });
    const done = (trusted: boolean, findings: Finding[]) => {
      socket.destroy();
      resolve({ trusted, findings });
    };
    socket.setTimeout(opts.timeoutMs, () => done(false, [{ check: "tls", status: "fail", summary: `no TLS handshake within ${opts.timeoutMs / 1000} s`, fix: "is this port serving TLS? a plain-HTTP server needs an http:// URL" }]));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done(false, [{ check: "tls", status: "fail", summary: `TLS handshake failed (${err.code ?? err.message})`, fix: "check that the control plane serves HTTPS on this port (holdfast serve --tls-cert --tls-key, or its proxy)" }]),
    );
    socket.once("secureConnect", () => {
      // The same judgement as the agent's link (link/server-trust.ts): a pin must match a certificate the
      // chain reaches from its leaf by signatures, valid now, naming this host unless the leaf itself is pinned.
      const chain = peerChain(socket.getPeerCertificate(true));
      const pins = chain.map(certificatePin);
      const handshake: Finding = { check: "tls", status: "ok", summary: `TLS ${socket.getProtocol() ?? ""} handshake with ${opts.host}:${opts.port}` };
      if (opts.pins.length > 0) {
        const verdict = verifyPinnedChain(chain, opts.pins as TlsPin[], opts.host);
        if (verdict.ok) return done(true, [handshake, { check: "tls-pin", status: "ok", summary: `the server's chain matches pin ${verdict.matched}` }]);
        return done(false, [
          handshake,
          {
            check: "tls-pin",
            status: "fail",
            summary: `${verdict.reason}: the server's chain (${pins.join(", ")}), this agent's pins (${opts.pins.join(", ")})`,
            fix: "if the control plane's key changed, get its pin (holdfast ca-pin) and enroll again with --ca-pin; otherwise something else answers at this address",
          },
        ]);
      }
      if (socket.authorized) return done(true, [handshake, { check: "tls-pin", status: "ok", summary: "no pins: the system's CAs trust the server's certificate" }]);
      return done(false, [
        handshake,
        {
          check: "tls-pin",
          status: "fail",
          summary: `no pins, and the system's CAs do not trust the server's certificate (${String(socket.authorizationError)})`,
          fix: `enroll again with --ca-pin ${pins[pins.length - 1] ?? "sha256:…"} (the chain's last certificate), after checking it with holdfast ca-pin on the control plane`,
        },
      ]);
    });
  });
}
