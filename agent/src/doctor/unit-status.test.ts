import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir } from "../testing/helpers.js";
import { checkUnitStatus } from "./unit-status.js";

/** A stand-in systemctl that records its arguments and answers `state` with `code`, as the real one does. */
function fakeSystemctl(dir: string, state: string, code: number): void {
  const file = path.join(dir, "systemctl");
  fs.writeFileSync(file, `#!/bin/sh\necho "$@" > "${dir}/args"\necho ${state}\nexit ${code}\n`, { mode: 0o755 });
}

describe("checkUnitStatus", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("doctor-unit");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("skips, with a note, where there is no systemctl", async () => {
    expect(await checkUnitStatus(2000, dir)).toEqual([{ check: "unit", status: "skip", summary: "no systemctl on this host: the unit's status is not checked" }]);
  });

  it("passes an active unit, asking is-active of holdfast-agent", async () => {
    fakeSystemctl(dir, "active", 0);
    expect(await checkUnitStatus(2000, dir)).toEqual([{ check: "unit", status: "ok", summary: "holdfast-agent.service is active" }]);
    expect(fs.readFileSync(path.join(dir, "args"), "utf8").trim()).toBe("is-active holdfast-agent");
  });

  it("warns about a failed unit and points at its journal", async () => {
    fakeSystemctl(dir, "failed", 3);
    expect(await checkUnitStatus(2000, dir)).toEqual([
      { check: "unit", status: "warn", summary: "holdfast-agent.service is failed", fix: "see why: journalctl -u holdfast-agent -n 50; then sudo systemctl restart holdfast-agent" },
    ]);
  });

  it("warns about an inactive unit with how to start it", async () => {
    fakeSystemctl(dir, "inactive", 3);
    expect((await checkUnitStatus(2000, dir))[0]).toMatchObject({ status: "warn", fix: "sudo systemctl enable --now holdfast-agent (if this host runs the agent as a service)" });
  });
});
