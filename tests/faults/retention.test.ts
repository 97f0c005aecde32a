// The retention planners against a reference model written apart from them (the model and its checks:
// control-plane/src/testing/retention-model.ts): random backup sets over 3 days to 3 years, some
// failed, manual, verified or held, random GFS policies and zones. A user must see: the keep set
// restic's rules give, the newest good and the newest verified backups never deleted, a held backup
// never deleted, every reason a decision gives true of its backup.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkScenario, scenarios } from "../../control-plane/src/testing/retention-model.js";
import { repetitions } from "./lib/profile.js";
import { runScenario } from "./lib/results.js";

describe("retention planning", () => {
  it("retention: random backup sets against the reference model", async () => {
    const result = await runScenario("retention: random backup sets against a reference model", repetitions({ full: 10_000, ci: 1_000 }), async (_rep, random, note) => {
      const [scenario] = fc.sample(scenarios, { seed: random.int(0, 2 ** 31 - 1), numRuns: 1 });
      const s = scenario!;
      note(s.backups.some((b) => b.held !== null && b.held !== undefined) ? "with a held backup" : "no hold");
      try {
        checkScenario(s);
        return [];
      } catch (err) {
        const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
        return [`${first} (zone ${s.timeZone}, policy ${JSON.stringify(s.policy)}, ${s.backups.length} backups)`];
      }
    });
    expect(result.problems).toEqual([]);
  });
});
