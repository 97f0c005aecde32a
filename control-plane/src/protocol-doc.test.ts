import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PROTOCOL_DOC_PATH, REGENERATE_COMMAND, renderProtocolDoc } from "../../shared/scripts/render-protocol-doc.js";

// docs/protocol.md is rendered from shared's catalogs; it lives here because this suite is the one
// CI runs for the control plane, which serves the contract the page documents.
describe("docs/protocol.md", () => {
  it("matches what shared's catalogs render", async () => {
    const current = await readFile(PROTOCOL_DOC_PATH, "utf8").catch(() => "");
    expect(current === renderProtocolDoc(), `docs/protocol.md is stale: run \`${REGENERATE_COMMAND}\` from the repository root`).toBe(true);
  });

  it("lists every error code, command and event", async () => {
    const { ERROR_CODES, COMMAND_TYPES, EVENT_TYPES } = await import("@holdfast/shared");
    const doc = renderProtocolDoc();
    for (const c of ERROR_CODES) expect(doc).toContain(`| \`${c}\` |`);
    for (const c of COMMAND_TYPES) expect(doc).toContain(`### ${c}\n`);
    for (const e of EVENT_TYPES) expect(doc).toContain(`### ${e}\n`);
  });
});
