import { describe, expect, it } from "vitest";
import { HoldfastError } from "./errors.js";
import { AgentRunState, assertTransition, canTransition, CONTROL_PLANE_TRANSITIONS, isTerminal, RunState } from "./run-state.js";

const allowed = new Set([
  "queued>running",
  "queued>cancelled",
  "queued>expired",
  "running>completed",
  "running>failed",
  "running>cancelled",
]);

describe("run state machine", () => {
  it("allows exactly the documented transitions", () => {
    for (const from of AgentRunState.options) {
      for (const to of AgentRunState.options) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });

  it("answers any other transition with 409 INVALID_STATE_TRANSITION", () => {
    try {
      assertTransition("completed", "running", "run_1");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HoldfastError);
      expect((err as HoldfastError).status).toBe(409);
      expect((err as HoldfastError).toBody()).toMatchObject({ code: "INVALID_STATE_TRANSITION", details: { runId: "run_1", from: "completed", to: "running" } });
    }
  });

  it("treats completed, failed, cancelled and expired as final", () => {
    expect(AgentRunState.options.filter(isTerminal)).toEqual(["completed", "failed", "cancelled", "expired"]);
  });

  it("gives the control plane's own states their moves: pending is sent, refused, dropped or missed; missed is final", () => {
    expect(CONTROL_PLANE_TRANSITIONS.pending).toEqual(["queued", "running", "failed", "cancelled", "missed"]);
    expect(CONTROL_PLANE_TRANSITIONS.missed).toEqual([]);
    for (const to of CONTROL_PLANE_TRANSITIONS.pending) expect(RunState.options).toContain(to);
    expect(AgentRunState.options).not.toContain("pending");
  });
});
