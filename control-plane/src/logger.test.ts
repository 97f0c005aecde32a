import { Writable } from "node:stream";
import { LOG_CENSOR } from "@holdfast/shared";
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
  it("redacts every secret field of the shared list, at the top and nested up to three levels", () => {
    const { log, lines } = capture();
    log.info(
      {
        a: { b: { password: "secret-1" } },
        authorization: "Bearer hf_api_secret-2",
        req: { headers: { authorization: "Bearer hf_api_secret-3", cookie: "sid=secret-4" } },
        frame: { payload: { uploadToken: "secret-5", connection: { password: "secret-6" } } },
        destination: { config: { secretAccessKey: "secret-7", privateKey: "secret-8" } },
        command: { payload: { options: { identity: "AGE-SECRET-KEY-1SECRET9" } } },
        token: "secret-10",
        cookie: "sid=secret-11",
        runId: "run_1",
      },
      "x",
    );
    const text = lines.join("");
    for (const secret of ["secret-1", "secret-2", "secret-3", "secret-4", "secret-5", "secret-6", "secret-7", "secret-8", "SECRET9", "secret-10", "secret-11"]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ runId: "run_1", a: { b: { password: LOG_CENSOR } } });
  });

  it("keeps correlation fields of child loggers", () => {
    const { log, lines } = capture();
    log.child({ requestId: "req_1" }).child({ agentId: "agt_1", runId: "run_1", scheduleId: "sch_1" }).info("hello");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ requestId: "req_1", agentId: "agt_1", runId: "run_1", scheduleId: "sch_1" });
  });
});
