import { createHash, timingSafeEqual } from "node:crypto";
import ssh2, { type ConnectConfig, type SFTPWrapper } from "ssh2";
import { HoldfastError, type SftpDestinationConfig } from "@holdfast/shared";
import { reasonOf } from "./failures.js";

/** SFTP status codes (draft-ietf-secsh-filexfer-02) the mapping cares about. */
export const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

/** The 32 bytes of a configured fingerprint: `SHA256:<base64>` (ssh-keygen -lf) or hex. */
export function fingerprintBytes(hostKeySha256: string): Buffer {
  if (hostKeySha256.startsWith("SHA256:")) return Buffer.from(hostKeySha256.slice(7), "base64");
  return Buffer.from(hostKeySha256.replace(/^sha256:/, ""), "hex");
}

/** A host key blob's fingerprint in OpenSSH's own notation, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(hostKey: Buffer): string {
  return `SHA256:${createHash("sha256").update(hostKey).digest("base64").replace(/=+$/, "")}`;
}

/**
 * ssh2's options for this destination. Only the configured secrets are tried: no ssh-agent, no
 * keyboard-interactive prompt. The host key is checked by `verifyHostKey` before any credential is
 * sent.
 */
export function connectOptions(config: SftpDestinationConfig, verifyHostKey: (key: Buffer) => boolean): ConnectConfig {
  return {
    host: config.host,
    port: config.port,
    username: config.username,
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.privateKey !== undefined ? { privateKey: config.privateKey } : {}),
    tryKeyboard: false,
    readyTimeout: 20_000,
    keepaliveInterval: 15_000,
    hostVerifier: verifyHostKey,
  };
}

/** Any SSH or SFTP failure as a catalog error; `presented` is the server's fingerprint when it was refused. */
export function sshFailure(err: unknown, action: string, presented?: string): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const reason = reasonOf(err);
  if (presented !== undefined) {
    return new HoldfastError("DESTINATION_HOST_KEY_MISMATCH", `${action}: the SFTP server's host key ${presented} is not the configured one; not connected`, { presented });
  }
  const e = err as { level?: string; code?: string | number; message?: string };
  if (e.level === "client-authentication") return new HoldfastError("DESTINATION_AUTH_FAILED", `${action}: the SFTP server refused the credentials`, { reason });
  if (e.message?.startsWith("Cannot parse privateKey")) return new HoldfastError("DESTINATION_AUTH_FAILED", `${action}: the private key cannot be read (${reason})`, { reason });
  const network = e.level === "client-socket" || e.level === "client-timeout" || e.level === "client-dns" || e.level === "protocol";
  if (network || (typeof e.code === "string" && NETWORK_CODES.has(e.code)) || e.message === "No response from server") {
    return new HoldfastError("DESTINATION_UNREACHABLE", `${action}: the SFTP server could not be reached (${reason})`, { reason });
  }
  if (e.code === SFTP_PERMISSION_DENIED || e.code === SFTP_NO_SUCH_FILE) return new HoldfastError("DESTINATION_REFUSED", `${action}: ${reason}`, { reason });
  return new HoldfastError("DELIVERY_FAILED", `${action}: ${reason}`, { reason });
}

export interface SftpSession {
  sftp: SFTPWrapper;
  close(): void;
}

/**
 * An SFTP session on a fresh SSH connection. The server's host key must hash to `hostKeySha256`
 * (compared in constant time); any other key ends the handshake before authentication.
 */
export function openSftp(config: SftpDestinationConfig, action: string): Promise<SftpSession> {
  const expected = fingerprintBytes(config.hostKeySha256);
  const client = new ssh2.Client();
  let refused: string | undefined;
  return new Promise<SftpSession>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(sshFailure(err, action, refused));
    };
    // Kept after the session is ready: a later connection error reaches the pending SFTP calls.
    client.on("error", fail);
    client.on("close", () => fail(Object.assign(new Error("the connection closed during the handshake"), { level: "client-socket" })));
    client.on("ready", () => {
      client.sftp((err, sftp) => {
        if (err) return fail(err);
        settled = true;
        resolve({ sftp, close: () => client.end() });
      });
    });
    const verifyHostKey = (key: Buffer) => {
      const actual = createHash("sha256").update(key).digest();
      const same = actual.length === expected.length && timingSafeEqual(actual, expected);
      if (!same) refused = fingerprintOf(key);
      return same;
    };
    try {
      client.connect(connectOptions(config, verifyHostKey));
    } catch (err) {
      fail(err);
    }
  });
}

/** A node-style SFTP call as a promise (a synchronous throw, e.g. an extension the server lacks, rejects it). */
export function call<T = void>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value as T)));
  });
}
