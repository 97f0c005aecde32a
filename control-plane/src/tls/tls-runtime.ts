import type { Server as HttpsServer } from "node:https";
import type { TlsPin } from "@holdfast/shared";
import type { Logger } from "../logger.js";
import { computeServerPins, type ServerPins } from "./server-pins.js";
import { loadTlsMaterial, type TlsMaterial } from "./tls-files.js";

export interface TlsSettings {
  tls: { certFile: string; keyFile: string; nextKeyFile: string | undefined } | null;
  publicPins: TlsPin[];
}

/**
 * The control plane's TLS state: the files as last read, and the pins they give. Read once at start
 * (a bad file stops start-up) and again on SIGHUP, where a bad file keeps the running certificate:
 * a renewal needs no restart, and a botched one takes nothing down.
 */
export class TlsRuntime {
  private material: TlsMaterial | null;
  private current: ServerPins;

  constructor(private readonly settings: TlsSettings) {
    this.material = settings.tls ? loadTlsMaterial(settings.tls) : null;
    this.current = computeServerPins(this.material, settings.tls?.nextKeyFile, settings.publicPins);
  }

  /** The key and chain for https.createServer; null when TLS ends elsewhere. */
  get serverOptions(): { cert: Buffer; key: Buffer } | null {
    return this.material ? { cert: this.material.cert, key: this.material.key } : null;
  }

  get pins(): ServerPins {
    return this.current;
  }

  /** Re-reads the files into the running server; new handshakes use them, open connections keep theirs. */
  reload(server: HttpsServer | null, log: Logger): boolean {
    if (!this.settings.tls) return false;
    try {
      const material = loadTlsMaterial(this.settings.tls);
      const pins = computeServerPins(material, this.settings.tls.nextKeyFile, this.settings.publicPins);
      server?.setSecureContext({ cert: material.cert, key: material.key });
      this.material = material;
      this.current = pins;
      log.info({ leaf: pins.chain[0]?.pin, validTo: material.chain[0]?.validTo, next: pins.next }, "TLS certificate reloaded");
      return true;
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, "TLS certificate NOT reloaded: the running one stays");
      return false;
    }
  }
}
