import { LOG_CENSOR } from "@holdfast/shared";
import { expect, it } from "vitest";
import { createLogger } from "./log.js";

it("redacts every secret field of the shared list, at the top and nested up to three levels", () => {
  const lines: string[] = [];
  const log = createLogger("info", { agentId: "agt_1" }, { write: (s: string) => void lines.push(s) });
  log.info(
    {
      a: { b: { password: "secret-1" } },
      connection: { host: "h", password: "secret-2" },
      payload: { uploadToken: "secret-3", options: { identity: "AGE-SECRET-KEY-1SECRET4" } },
      headers: { authorization: "Bearer secret-5", cookie: "sid=secret-6" },
      token: "secret-7",
      frame: { payload: { config: { secretAccessKey: "secret-8" } } },
      cookie: "sid=secret-9",
    },
    "x",
  );
  const out = lines.join("");
  for (const secret of ["secret-1", "secret-2", "secret-3", "SECRET4", "secret-5", "secret-6", "secret-7", "secret-8", "secret-9"]) expect(out).not.toContain(secret);
  expect(JSON.parse(out)).toMatchObject({ agentId: "agt_1", a: { b: { password: LOG_CENSOR } }, connection: { host: "h", password: LOG_CENSOR } });
});
