import { describe, expect, it } from "vitest";
import { missingPackageNotice } from "./agent-package-notice.js";

describe("missingPackageNotice", () => {
  it("tells to build a package while the manifest lists none", () => {
    expect(missingPackageNotice({ version: "0.1.0", protocolVersion: 1, packages: [] })).toContain("No agent package is built on this control plane");
  });

  it("says nothing once one is built", () => {
    const pkg = { os: "linux" as const, arch: "x64" as const, url: "/install/packages/holdfast-agent-0.1.0-linux-x64.tar.gz", sha256: "a".repeat(64), size: 1, nodeVersion: "22.23.5" };
    expect(missingPackageNotice({ version: "0.1.0", protocolVersion: 1, packages: [pkg] })).toBeUndefined();
  });
});
