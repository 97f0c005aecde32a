import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readResults, RESULTS_VARIABLE, runScenario } from "./results.js";
import { randomFor, SEED_VARIABLE } from "./seed.js";

describe("the fault suite's seed", () => {
  it("replays the same points for the same seed and scenario, and other points for another scenario", () => {
    const draws = (scenario: string, seed: number) => {
      const r = randomFor(scenario, seed);
      return Array.from({ length: 5 }, () => r.int(0, 1_000_000));
    };
    expect(draws("agent kill -9: upload", 42)).toEqual(draws("agent kill -9: upload", 42));
    expect(draws("agent kill -9: upload", 42)).not.toEqual(draws("agent kill -9: restore", 42));
    expect(draws("agent kill -9: upload", 42)).not.toEqual(draws("agent kill -9: upload", 43));
  });

  it("shuffles into a permutation that the seed decides", () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    const a = randomFor("s", 1).shuffle(items);
    expect([...a].sort((x, y) => x - y)).toEqual(items);
    expect(randomFor("s", 1).shuffle(items)).toEqual(a);
    expect(randomFor("s", 2).shuffle(items)).not.toEqual(a);
    expect(items).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it("counts a repetition with problems, or that throws, as one failure and keeps every problem", async () => {
    process.env[SEED_VARIABLE] = "7";
    process.env[RESULTS_VARIABLE] = mkdtempSync(path.join(tmpdir(), "holdfast-faults-test-"));
    const result = await runScenario("three reps", 3, async (rep, _random, note) => {
      note(rep === 1 ? "completed" : "failed");
      if (rep === 2) return ["left a file", "stuck"];
      if (rep === 3) throw new Error("boom");
      return [];
    });
    expect(result).toMatchObject({ repetitions: 3, failures: 2, seed: 7, outcomes: { completed: 1, failed: 2 } });
    expect(result.problems).toEqual(["#2: left a file", "#2: stuck", "#3: threw: boom"]);
    expect(readResults(process.env[RESULTS_VARIABLE]!)).toEqual([result]);
  });
});
