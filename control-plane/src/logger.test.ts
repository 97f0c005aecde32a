import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loggerOptions } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino(loggerOptions("info"), out), lines };
}

describe("logger", () => {
  it("redacts secrets at the top and nested up to three levels", () => {
    const { log, lines } = capture();
    log.info(
      {
        authorization: "Bearer hf_api_secret1",
        req: { headers: { authorization: "Bearer hf_api_secret2", cookie: "sid=secret3" } },
        frame: { payload: { uploadToken: "secret4", connection: { password: "secret5" } } },
        token: "secret6",
        runId: "run_1",
      },
      "x",
    );
    const text = lines.join("");
    for (let i = 1; i <= 6; i++) expect(text).not.toContain(`secret${i}`);
    expect(text).toContain("run_1");
    expect(text).toContain("[redacted]");
  });

  it("keeps correlation fields of child loggers", () => {
    const { log, lines } = capture();
    log.child({ requestId: "req_1" }).child({ agentId: "agt_1", runId: "run_1", scheduleId: "sch_1" }).info("hello");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ requestId: "req_1", agentId: "agt_1", runId: "run_1", scheduleId: "sch_1" });
  });
});
