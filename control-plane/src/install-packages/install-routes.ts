import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { HoldfastError, type InstallManifest, PROTOCOL_VERSION } from "@holdfast/shared";
import { Hono } from "hono";
import { parseRange } from "../artifacts/byte-range.js";
import type { AppContext } from "../context.js";
import { artifactResponse, withUnsatisfiableRange } from "../http/routes/artifact-response.js";
import type { HonoEnv } from "../http/types.js";
import { VERSION } from "../version.js";
import { listPackages, packageFile, PackageHashes } from "./package-files.js";

/** install/agent.sh of the checkout the control plane runs from (src/install-packages or dist/install-packages, three levels under the root), like env.agentPackagesDir. */
export const INSTALL_SCRIPT = fileURLToPath(new URL("../../../install/agent.sh", import.meta.url));

export interface InstallRoutesOptions {
  /** Another install script (tests). */
  installScript?: string;
}

/**
 * `/install/*`: what a host needs before it has any credentials: the install script, the manifest
 * and the packages. Public by design: none of them holds a secret (the enrollment token travels in
 * the installer's environment, never through here), and what keeps them honest is the pinned TLS
 * connection plus the manifest's SHA-256, not who may read them (docs/decisions.md).
 */
export function installRoutes(ctx: AppContext, options: InstallRoutesOptions = {}) {
  const hashes = new PackageHashes();
  const script = options.installScript ?? INSTALL_SCRIPT;
  return new Hono<HonoEnv>()
    .get("/manifest.json", async (c) => {
      const manifest: InstallManifest = { version: VERSION, protocolVersion: PROTOCOL_VERSION, packages: await listPackages(ctx.env.agentPackagesDir, VERSION, hashes) };
      // A package rebuilt in place changes its hash: never a stale manifest from a cache.
      return c.json(manifest, 200, { "cache-control": "no-store" });
    })
    .get("/packages/:file", async (c) => {
      const found = await packageFile(ctx.env.agentPackagesDir, c.req.param("file"), hashes);
      if (!found) throw new HoldfastError("NOT_FOUND", "No such agent package: GET /install/manifest.json lists the packages this control plane serves (npm run package:agent builds them)");
      const etag = `"${found.sha256}"`;
      const headers: Record<string, string> = { "content-type": "application/gzip", etag, "accept-ranges": "bytes", "cache-control": "no-cache" };
      if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
      // A range of another version of the file would splice two packages: If-Range with an old ETag gets the whole file.
      const ifRange = c.req.header("if-range");
      const span = ifRange === undefined || ifRange === etag ? await withUnsatisfiableRange(c, async () => parseRange(c.req.header("range"), found.size)) : null;
      if (!span) return artifactResponse(c, 200, { ...headers, "content-length": String(found.size) }, createReadStream(found.file));
      return artifactResponse(
        c,
        206,
        { ...headers, "content-length": String(span.end - span.start + 1), "content-range": `bytes ${span.start}-${span.end}/${found.size}` },
        createReadStream(found.file, { start: span.start, end: span.end }),
      );
    })
    .get("/agent.sh", async (c) => {
      const body = await readFile(script, "utf8").catch(() => {
        throw new HoldfastError("NOT_FOUND", `The install script is missing from this control plane's installation (${script})`);
      });
      return c.body(body, 200, { "content-type": "text/x-shellscript; charset=utf-8", "cache-control": "no-cache" });
    });
}
