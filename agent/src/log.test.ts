import { expect, it } from "vitest";
import { createLogger } from "./log.js";

it("redacts passwords, tokens and authorization headers wherever the agent logs them", () => {
  const lines: string[] = [];
  const log = createLogger("info", { agentId: "agt_1" }, { write: (s: string) => void lines.push(s) });
  log.info({ connection: { host: "h", password: "pw-1" }, payload: { uploadToken: "tok-2" }, headers: { authorization: "Bearer tok-3" }, token: "tok-4" }, "x");
  const out = lines.join("");
  for (const secret of ["pw-1", "tok-2", "tok-3", "tok-4"]) expect(out).not.toContain(secret);
  expect(JSON.parse(out)).toMatchObject({ agentId: "agt_1", connection: { host: "h", password: "[REDACTED]" } });
});
