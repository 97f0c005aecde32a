import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { autogroupsEnabled, effectivePriority, prioritizedCommand, withToolPriority } from "./tool-priority.js";
import { killTree, spawnTool, toolEnv, type ToolProcess } from "./spawn-tool.js";
import { failureOf } from "../testing/helpers.js";
import { autogroupNiceOf, ioClassOf, niceOf } from "../testing/process-priority.js";

/** Waits until the wrappers have exec'd into the tool itself (its /proc comm), bounded. */
async function execdInto(pid: number, comm: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== comm) {
    if (Date.now() > deadline) throw new Error(`process ${pid} never became ${comm}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const started: ToolProcess[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) {
    killTree(t.child);
    await t.exited.catch(() => {});
  }
});

describe("tool priority", () => {
  it("runs a tool at the run's niceness and I/O class, its session's autogroup lowered too", async () => {
    const tool = withToolPriority({ nice: 7, ioClass: "idle" }, () => spawnTool("sleep", "sleep", ["30"], toolEnv()));
    started.push(tool);
    const pid = tool.child.pid!;
    await execdInto(pid, "sleep");
    expect(niceOf(pid)).toBe(7);
    expect(ioClassOf(pid)).toBe("idle");
    if (autogroupsEnabled()) expect(autogroupNiceOf(pid)).toBe(7);
  });

  it("gives what the tool forks the same priority (the wrappers exec the tool, nothing is set from outside)", async () => {
    // A tool that starts a worker of its own, as pg_dump -j does.
    const tool = withToolPriority({ nice: 5, ioClass: "best-effort", ioLevel: 6 }, () =>
      spawnTool("sh", "sh", ["-c", 'sleep 30 & echo "$!"; wait'], toolEnv()),
    );
    started.push(tool);
    const workerPid = Number(await new Promise<string>((resolve) => tool.stdout.once("data", (b: Buffer) => resolve(b.toString()))));
    await execdInto(workerPid, "sleep");
    expect(niceOf(workerPid)).toBe(5);
    expect(ioClassOf(workerPid)).toBe("best-effort: prio 6");
  });

  it("leaves a tool alone outside a prioritised run, and after it", async () => {
    await withToolPriority({ nice: 9 }, async () => {});
    const tool = spawnTool("sleep", "sleep", ["30"], toolEnv());
    started.push(tool);
    await execdInto(tool.child.pid!, "sleep");
    expect(niceOf(tool.child.pid!)).toBe(niceOf(process.pid));
    expect(ioClassOf(tool.child.pid!)).not.toMatch(/idle|prio 6/);
  });

  it("still reports a missing tool as TOOL_NOT_FOUND under a priority (the wrappers would exit 127)", async () => {
    const tool = withToolPriority({ nice: 3, ioClass: "idle" }, () => spawnTool("pg_nothing", "hf-no-such-tool", [], toolEnv()));
    expect((await failureOf(tool.exited)).code).toBe("TOOL_NOT_FOUND");
  });

  it("builds argument arrays: ionice, then nice, then the tool and its arguments untouched", () => {
    const cmd = prioritizedCommand("sleep", ["1; rm -rf /"], toolEnv(), { nice: 10, ioClass: "best-effort", ioLevel: 7 });
    expect(cmd.args.slice(0, 4)).toEqual(["-c", "2", "-n", "7"]);
    expect(cmd.bin).toMatch(/\/ionice$/);
    expect(cmd.args.slice(-2)).toEqual(["sleep", "1; rm -rf /"]);
    expect(cmd.args).toContain("-n");
    expect(cmd.args[4]).toMatch(/\/nice$/);
  });

  it("takes the datasource's priority whole over the agent's default, and nothing when neither lowers anything", () => {
    expect(effectivePriority({ ioClass: "idle" }, { nice: 10, ioLevel: 7 })).toEqual({ ioClass: "idle" });
    expect(effectivePriority(undefined, { nice: 10 })).toEqual({ nice: 10 });
    expect(effectivePriority({ nice: 0 }, { nice: 10 })).toBeUndefined();
    expect(effectivePriority(undefined, undefined)).toBeUndefined();
  });
});
