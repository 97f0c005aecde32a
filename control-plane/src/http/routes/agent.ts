import { Readable } from "node:stream";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { EnrollRequest, HoldfastError, UPLOAD_OFFSET_HEADER } from "@holdfast/shared";
import { currentUploadOffset, receiveUpload } from "../../artifacts/receive-upload.js";
import { serveDownload } from "../../artifacts/serve-download.js";
import type { AppContext } from "../../context.js";
import { enrollAgent } from "../../enrollment/enroll-agent.js";
import { byAddress, rateLimit } from "../rate-limit.js";
import { jsonBody } from "../validate.js";
import type { HonoEnv } from "../types.js";
import { artifactResponse, withUnsatisfiableRange } from "./artifact-response.js";

/**
 * `/agent/v1`: what agents call over plain HTTP. Enrollment is authorised by the enrollment token
 * alone; artifact uploads by a single-use upload token sent over the link. (The WebSocket upgrade
 * of `/agent/v1/connect` never reaches hono: `link/link-server.ts` takes it in the upgrade event.)
 */
export function agentRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .post(
      "/enroll",
      rateLimit(ctx, ctx.env.rateLimits.enroll, "enrollments from this address", byAddress("enroll")),
      bodyLimit({
        maxSize: 64 * 1024,
        onError: () => {
          throw new HoldfastError("PAYLOAD_TOO_LARGE", "The enrollment request is too large");
        },
      }),
      jsonBody(EnrollRequest, "enrollment request"),
      async (c) => c.json(await enrollAgent(ctx, c.req.valid("json")), 201),
    )
    .patch("/artifacts/:runId", async (c) => {
      // Straight from node's request when served for real: the bytes stream to disk with backpressure.
      const incoming = c.env?.incoming;
      const body = incoming ? incoming : c.req.raw.body ? Readable.fromWeb(c.req.raw.body as never) : null;
      try {
        const { offset } = await receiveUpload(ctx, {
          runId: c.req.param("runId"),
          authorization: c.req.header("authorization"),
          offsetHeader: c.req.header(UPLOAD_OFFSET_HEADER),
          body,
        });
        return c.body(null, 204, { [UPLOAD_OFFSET_HEADER]: String(offset) });
      } catch (err) {
        // Answered before the body's end (413 past the spool's reservation, 409 on an offset): the
        // rest of the body still fills the connection, so it must carry no other request. A client
        // that reused it would wait behind bytes nobody reads (the next upload stalled until the
        // pull's command timeout): `Connection: close` ends it after this answer.
        if (incoming && !incoming.readableEnded) c.env?.outgoing?.setHeader("connection", "close");
        throw err;
      }
    })
    // hono dispatches HEAD to the GET handler (and drops the body): HEAD is the upload's offset
    // (upload token), GET the restore direction's download (download token, Range resume).
    .get("/artifacts/:runId", async (c) => {
      if (c.req.method === "HEAD") {
        const offset = await currentUploadOffset(ctx, c.req.param("runId"), c.req.header("authorization"));
        return c.body(null, 200, { [UPLOAD_OFFSET_HEADER]: String(offset), "cache-control": "no-store" });
      }
      const { status, headers, body } = await withUnsatisfiableRange(c, () =>
        serveDownload(ctx, { runId: c.req.param("runId"), authorization: c.req.header("authorization"), range: c.req.header("range") }),
      );
      return artifactResponse(c, status, headers, body);
    });
}
