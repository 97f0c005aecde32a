import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** Runs the real CLI from source in a child process, to its end. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=@holdfast/source", "--import", "tsx", MAIN, ...args], { env: { PATH: process.env.PATH }, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("holdfast CLI", () => {
  it.each(["--version", "-V"])("%s prints the package's version on stdout and exits 0", (flag) => {
    const r = cli([flag]);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("refuses an unknown option with a message and a non-zero exit", () => {
    const r = cli(["--frobnicate"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });
});
