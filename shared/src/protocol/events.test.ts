import { describe, expect, it } from "vitest";
import { artifactMetaOf, Events } from "./events.js";

describe("ArtifactMeta", () => {
  const completed = Events.backupCompleted.parse({
    finishedAt: "2026-01-01T00:00:00Z",
    sizeBytes: 10,
    rawSizeBytes: 40,
    sha256: "a".repeat(64),
    codec: "zstd",
    fileName: "run_1.dump.zst",
    format: "custom",
    level: 3,
    ratio: 0.25,
    verification: { verified: true, method: "row counts and md5 sums", checked: 2, mismatches: [], durationMs: 5 },
  });

  it("keeps what describes the artifact and drops the run's end, sizes, hash and name", () => {
    expect(artifactMetaOf(completed)).toEqual({
      codec: "zstd",
      format: "custom",
      level: 3,
      ratio: 0.25,
      verification: completed.verification,
    });
  });

});
