import { describe, expect, it } from "vitest";
import { classifyMongoFailure } from "./classify-failure.js";

// What mongodump/mongorestore print (MongoDB Database Tools 100.x, Go driver), as reported by users:
// no MongoDB server or tools can run here, so the live cases are the stand-ins of engine.test.ts.
const TS = "2026-01-01T00:00:00.000+0000\t";

describe("classifyMongoFailure", () => {
  it.each([
    [
      "a refused password (AuthenticationFailed)",
      `${TS}Failed: can't create session: failed to connect to mongodb://db:27017/: connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism "SCRAM-SHA-256": (AuthenticationFailed) Authentication failed.`,
      "DATABASE_AUTH_FAILED",
    ],
    [
      "a user without the right to read (Unauthorized)",
      `${TS}Failed: error creating intents to dump: error getting collections for database \`admin\`: (Unauthorized) not authorized on admin to execute command { listCollections: 1 }`,
      "DATABASE_AUTH_FAILED",
    ],
    [
      "a closed port",
      `${TS}Failed: can't create session: could not connect to server: server selection error: server selection timeout, current topology: { Type: Single, Servers: [{ Addr: 127.0.0.1:27017, Type: Unknown, Last error: dial tcp 127.0.0.1:27017: connect: connection refused }, ] }`,
      "DATABASE_UNREACHABLE",
    ],
    [
      "a host that does not answer",
      `${TS}Failed: can't create session: could not connect to server: server selection error: server selection timeout, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: db:33205, Type: Unknown, Last error: connection() error occurred during connection handshake: dial tcp 10.0.0.106:33205: i/o timeout }, ] }`,
      "DATABASE_UNREACHABLE",
    ],
  ])("%s", (_what, stderr, code) => {
    expect(classifyMongoFailure(stderr)).toMatchObject({ code, evidence: expect.stringMatching(/^Failed: /) });
  });

  it("leaves anything else to the operation's own code", () => {
    expect(classifyMongoFailure(`${TS}Failed: E11000 duplicate key error collection: shop.orders index: _id_`)).toBeNull();
    expect(classifyMongoFailure("")).toBeNull();
  });
});
