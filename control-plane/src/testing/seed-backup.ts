import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { type ArtifactPart, newId } from "@holdfast/shared";
import { spooledPath } from "../artifacts/spool.js";
import type { AppContext } from "../context.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The parts an agent would report for `bytes` split every `partSize` bytes. */
export function partsOf(bytes: Buffer, partSize: number): ArtifactPart[] {
  const parts: ArtifactPart[] = [];
  for (let offset = 0, index = 1; offset < bytes.length; offset += partSize, index++) {
    const slice = bytes.subarray(offset, offset + partSize);
    parts.push({ index, offset, sizeBytes: slice.length, sha256: sha(slice) });
  }
  return parts;
}

/** An agent and a datasource row, as enrollment and `POST /datasources` would leave them. */
export async function seedDatasource(ctx: Pick<AppContext, "database">, agentId: string, name = "shop"): Promise<string> {
  const id = newId("ds");
  const { db, t } = ctx.database;
  await db.insert(t.datasources).values({ id, agentId, name, engine: "postgres", connectionRedacted: "{}", createdAt: Date.now() });
  return id;
}

export interface SeedBackup {
  agentId: string;
  datasourceId: string;
  destinationIds: string[];
  bytes: Buffer;
  createdAt?: number;
  finishedAt?: number;
  trigger?: "manual" | "schedule";
  scheduleId?: string | null;
  /** Split into parts of this size (artifactMeta.parts), as `maxFileSizeMb` does. */
  partSize?: number;
  verified?: boolean | null;
  /** Another run state than completed (and no spool copy): a failed backup, say. */
  state?: string;
  /** Writes the verified spool copy (default), as a finished pull leaves it. */
  spooled?: boolean;
}

/**
 * A completed backup run whose verified artifact waits in the spool with a pending delivery per
 * destination: what the puller leaves behind. Kick the delivery worker to deliver it.
 */
export async function seedBackup(ctx: Pick<AppContext, "database" | "env">, input: SeedBackup): Promise<string> {
  const runId = newId("run");
  const createdAt = input.createdAt ?? Date.now();
  const state = input.state ?? "completed";
  const parts = input.partSize ? partsOf(input.bytes, input.partSize) : undefined;
  const { db, t } = ctx.database;
  await db.insert(t.runs).values({
    id: runId,
    kind: "backup",
    trigger: input.trigger ?? "manual",
    agentId: input.agentId,
    datasourceId: input.datasourceId,
    state,
    idempotencyKey: newId("idem"),
    scheduleId: input.scheduleId ?? null,
    sizeBytes: state === "completed" ? input.bytes.length : null,
    rawSizeBytes: state === "completed" ? input.bytes.length * 3 : null,
    sha256: state === "completed" ? sha(input.bytes) : null,
    fileName: state === "completed" ? `${runId}.sql.gz` : null,
    artifactMeta: state === "completed" ? JSON.stringify({ codec: "gzip", format: "plain", level: 6, serverVersion: "PostgreSQL 17.2", ...(parts ? { parts } : {}) }) : null,
    verified: input.verified ?? null,
    startedAt: createdAt + 1000,
    finishedAt: input.finishedAt ?? createdAt + 60_000,
    createdAt,
  });
  await db.insert(t.deliveries).values(
    input.destinationIds.map((destinationId) => ({
      id: newId("dlv"),
      runId,
      destinationId,
      state: state === "completed" ? "pending" : "failed",
      attempts: 0,
      updatedAt: createdAt,
    })),
  );
  if (state === "completed" && input.spooled !== false) await writeFile(spooledPath(ctx.env.spoolDir, runId), input.bytes);
  return runId;
}
