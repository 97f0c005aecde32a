import { z } from "zod";

/** An agent package: `holdfast-agent-<version>-linux-<arch>.tar.gz`, built by `npm run package:agent`. */
export const AgentPackage = z
  .object({
    os: z.literal("linux"),
    /** Node's names: x64, arm64. */
    arch: z.enum(["x64", "arm64"]),
    /** Relative to the control plane's URL: `/install/packages/<file>`. */
    url: z.string().regex(/^\/install\/packages\/[A-Za-z0-9._-]+\.tar\.gz$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().positive(),
    /** The Node runtime inside it. */
    nodeVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  })
  .strict();
export type AgentPackage = z.infer<typeof AgentPackage>;

/**
 * `GET /install/manifest.json`: what the install script and `holdfast-agent upgrade` fetch, over the
 * pinned connection, before downloading a package; the package's SHA-256 is checked against it.
 */
export const InstallManifest = z
  .object({
    version: z.string().min(1).max(64),
    protocolVersion: z.number().int().positive(),
    packages: z.array(AgentPackage),
  })
  .strict();
export type InstallManifest = z.infer<typeof InstallManifest>;
