import fc from "fast-check";
import { describe, it } from "vitest";
import { checkScenario, scenarios } from "../testing/retention-model.js";

describe("planGfsRetention: properties over random backup sets", () => {
  // fast-check prints the seed and the shrunk backup set of a failure, to replay it with { seed, path }.
  it("match restic's keep set and justify every reason, for 400 random sets", () => {
    fc.assert(fc.property(scenarios, checkScenario), { numRuns: 400 });
  });
});
