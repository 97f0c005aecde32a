import type { CatalogueImportAnswer, OrphanBackup, StoredCopyCheck, ValidateRunAnswer } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { renderTable } from "../remote/output.js";
import { importColumns, importSummary } from "./catalogue.js";
import { deletionReport, orphanColumns, orphansTotal } from "./cleanup.js";
import { validateColumns, validateExitCode, validateSummary } from "./runs-stored.js";

const copy = (over: Partial<StoredCopyCheck>): StoredCopyCheck => ({
  deliveryId: "dlv_1",
  destinationId: "dst_a",
  destinationName: "nas",
  objectName: "ds_1/2026/12/20261207T050000Z_run_1.sql.gz",
  verdict: "ok",
  checked: "sha256",
  bytesRead: 2_500_000,
  detail: null,
  errorCode: null,
  ...over,
});
const validated = (copies: StoredCopyCheck[], depth: "full" | "size" = "full"): ValidateRunAnswer => ({
  runId: "run_1",
  depth,
  ok: copies.length > 0 && copies.every((c) => c.verdict === "ok"),
  copies,
});

describe("runs validate's output", () => {
  it("prints one line per copy (destination, object, verdict, detail) and exits 0 when all are ok", () => {
    const answer = validated([copy({}), copy({ deliveryId: "dlv_2", destinationName: "bucket", objectName: "e2e/x.sql.gz", bytesRead: 0, checked: "size" })]);
    expect(renderTable(answer.copies, validateColumns).split("\n")).toEqual([
      "DESTINATION  OBJECT                                      VERDICT  DETAIL",
      "nas          ds_1/2026/12/20261207T050000Z_run_1.sql.gz  ok       size and SHA-256 match (2.5 MB read)",
      "bucket       e2e/x.sql.gz                                ok       every object there, sizes match",
      "",
    ]);
    expect(validateSummary(answer)).toBe("All 2 copies of run run_1 ok (size and SHA-256 checked).");
    expect(validateExitCode(answer)).toBe(0);
  });

  it("names what is wrong with a damaged copy and exits 1", () => {
    const answer = validated([
      copy({ verdict: "altered", detail: "ds_1/x.sql.gz has SHA-256 ab12…, the sidecar says cd34…" }),
      copy({ destinationName: "bucket", verdict: "unreachable", detail: "the bucket refused the credentials", errorCode: "DESTINATION_UNREACHABLE" }),
      copy({ destinationName: "sftp" }),
    ]);
    expect(renderTable(answer.copies, validateColumns)).toMatch(/^nas .* altered +ds_1\/x.sql.gz has SHA-256 ab12…, the sidecar says cd34…$/m);
    expect(validateSummary(answer)).toBe("1 of 3 copies of run run_1 ok, 1 altered, 1 unreachable (size and SHA-256 checked).");
    expect(validateExitCode(answer)).toBe(1);
  });

  it("exits 1 when the run has no live copy to check", () => {
    const answer = validated([], "size");
    expect(validateSummary(answer)).toBe("Run run_1 has no live copy at any destination: nothing to validate.");
    expect(validateExitCode(answer)).toBe(1);
  });
});

describe("catalogue import's output", () => {
  const entry = (runId: string, outcome: "imported" | "known" | "invalid", reason: string | null = null) => ({
    runId,
    datasourceId: "ds_1",
    engine: "postgres",
    objectName: `ds_1/2026/12/x_${runId}.sql.gz`,
    sizeBytes: 1_234_567,
    createdAt: "2026-12-07T05:00:00.000Z",
    outcome,
    reason,
  });
  const answer = (dryRun: boolean): CatalogueImportAnswer => ({
    destinationId: "dst_a",
    dryRun,
    found: 4,
    imported: dryRun ? 0 : 2,
    entries: [entry("run_1", "imported"), entry("run_2", "imported"), entry("run_3", "known"), entry("run_4", "invalid", "part 2 is missing")],
  });

  it("prints the entries (run, datasource, created, size, outcome, reason) and the counts", () => {
    const table = renderTable(answer(false).entries, importColumns).split("\n");
    expect(table[0]).toBe("RUN    DATASOURCE  CREATED                   SIZE     OUTCOME   REASON");
    expect(table[1]).toBe("run_1  ds_1        2026-12-07T05:00:00.000Z  1.23 MB  imported  -");
    expect(table[4]).toBe("run_4  ds_1        2026-12-07T05:00:00.000Z  1.23 MB  invalid   part 2 is missing");
    expect(importSummary(answer(false))).toBe("2 imported, 1 known, 1 invalid.");
  });

  it("says a dry run wrote nothing", () => {
    expect(importSummary(answer(true))).toBe("Dry run, nothing was written: 2 to import, 1 known, 1 invalid.");
  });
});

describe("cleanup's output", () => {
  const orphan = (runId: string, parts: number): OrphanBackup => ({
    objectName: `ds_1/2026/12/x_${runId}.sql.gz`,
    runId,
    datasourceId: "ds_1",
    objects: [...Array.from({ length: parts }, (_, i) => `ds_1/2026/12/x_${runId}.sql.gz.part${String(i + 1).padStart(4, "0")}`), `ds_1/2026/12/x_${runId}.sql.gz.json`],
    bytes: 1_000_000 * parts,
    createdAt: "2026-12-07T05:00:00.000Z",
  });

  it("prints each orphan (object, run, bytes, objects) and the total", () => {
    const items = [orphan("run_1", 2), orphan("run_2", 1)];
    expect(renderTable(items, orphanColumns).split("\n").slice(0, 3)).toEqual([
      "OBJECT                       RUN    BYTES  OBJECTS",
      "ds_1/2026/12/x_run_1.sql.gz  run_1  2 MB   3",
      "ds_1/2026/12/x_run_2.sql.gz  run_2  1 MB   2",
    ]);
    expect(orphansTotal(items)).toBe("2 orphaned backups, 5 objects, 3 MB");
  });

  it("reports what was deleted and what was skipped", () => {
    expect(
      deletionReport({
        destinationId: "dst_a",
        deleted: [{ objectName: "a.sql.gz", objects: ["a.sql.gz", "a.sql.gz.json"], bytes: 2048 }],
        skipped: [{ objectName: "b.sql.gz", reason: "a delivery records it now" }],
      }),
    ).toEqual(["deleted a.sql.gz (2 objects, 2.05 kB)", "skipped b.sql.gz: a delivery records it now"]);
  });
});
