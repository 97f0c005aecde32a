import { performance } from "node:perf_hooks";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared/protocol";
import { createDecoder, type CodecTools } from "../pipeline/codec.js";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { restoreStageError, targetNotEmpty } from "./restore-target.js";
import type { RestoreOptions, RestoreResult } from "./types.js";
import type { ServerConnection, ServerDialect } from "./whole-server.js";
import { noneMatched, selectDatabases } from "./whole-server-patterns.js";
import { GLOBALS_MEMBER, readServerTar, type MemberDigest, type ServerIndex, type ServerManifest } from "./whole-server-tar.js";

interface RestorePlan {
  index: ServerIndex;
  /** Source name to target name, for the databases this restore takes. */
  targets: Map<string, string>;
  /** Targets that do not exist yet: created before their restore. */
  missing: Set<string>;
  /** A chosen database's member to its name. */
  byMember: Map<string, string>;
}

/** A restore's target names, each checked: renames name only databases the restore takes, and no two land in one. */
function targetsOf(selected: string[], rename: Record<string, string> | undefined): Map<string, string> {
  const unknown = Object.keys(rename ?? {}).filter((k) => !selected.includes(k));
  if (unknown.length > 0) {
    throw new HoldfastError("VALIDATION_FAILED", `options.rename names databases this restore does not take: ${unknown.slice(0, 10).join(", ")}`, {
      issues: unknown.slice(0, 10).map((k) => ({ path: `options.rename.${k}`, message: "not among the backup's databases this restore takes" })),
    });
  }
  const targets = new Map(selected.map((name) => [name, rename?.[name] ?? name]));
  const seen = new Map<string, string>();
  for (const [source, target] of targets) {
    const other = seen.get(target);
    if (other !== undefined) {
      throw new HoldfastError("VALIDATION_FAILED", `Databases ${other} and ${source} would both be restored into ${target}`, { issues: [{ path: `options.rename.${source}`, message: `${other} is restored into ${target} too` }] });
    }
    seen.set(target, source);
  }
  return targets;
}

/**
 * Restores a whole server's tar into the server of `target` (a whole-server connection) in one pass
 * over the stream: the index decides which databases and where, and every target is checked before
 * anything is written (RESTORE_TARGET_NOT_EMPTY names all the non-empty ones); the globals only when
 * asked; each chosen database created when missing and restored by the engine's own restore; the
 * others read past. At the end every member read is checked against the manifest.
 */
export async function restoreWholeServer<C extends ServerConnection>(dialect: ServerDialect<C>, artifact: Readable, target: C, opts: RestoreOptions, tools: CodecTools): Promise<RestoreResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const decoder = createDecoder(opts.codec, tools);
  // Filled by the index; a holder, since callbacks set it (a plain `let` would read as never assigned).
  const state: { plan: RestorePlan | null } = { plan: null };
  const restored: string[] = [];
  const consumer = (work: (input: Readable) => Promise<unknown>) => {
    const input = new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES });
    // A consumer that stops reading (it failed) lets go of its input, so the reader never waits on it.
    const done = work(input).finally(() => input.destroy());
    done.catch(() => {});
    return { input, done };
  };
  const read = readServerTar(decoder.stream, {
    index: async (index) => {
      if (index.engine !== dialect.engine) throw new HoldfastError("VALIDATION_FAILED", `This is a ${index.engine} server's backup; the target is ${dialect.engine}`);
      const names = index.databases.map((d) => d.name);
      const selected = selectDatabases(names, opts.databases);
      if (selected.length === 0) throw noneMatched("backup", names, opts.databases ?? {});
      const targets = targetsOf(selected, opts.rename);
      const found = await dialect.inspectTargets(target, [...targets.values()]).catch((err: unknown) => {
        throw restoreStageError("target", err);
      });
      const full = [...targets.values()].filter((t) => (found.get(t) ?? 0) > 0);
      if (full.length > 0 && !opts.overwrite) {
        throw targetNotEmpty(`The target database${full.length > 1 ? "s" : ""} ${full.join(", ")} already hold${full.length > 1 ? "" : "s"} objects`, { databases: full });
      }
      state.plan = { index, targets, missing: new Set([...targets.values()].filter((t) => found.get(t) === null)), byMember: new Map(index.databases.filter((d) => targets.has(d.name)).map((d) => [d.member, d.name])) };
      if (!index.globals) warnings.push(`globals: not in this backup${index.globalsSkipped ? ` (${index.globalsSkipped})` : ""}`);
      else if (!opts.globals) warnings.push("globals: the backup carries the server's roles (users); not applied (restore with options.globals to apply them)");
    },
    member: async (member) => {
      const plan = state.plan;
      if (!plan) throw new HoldfastError("INTERNAL_ERROR", "A member before the index");
      if (member === GLOBALS_MEMBER) {
        if (!opts.globals) return null;
        return consumer(async (sql) => {
          const notes = await dialect.restoreGlobals(sql, target, opts).catch((err: unknown) => {
            throw restoreStageError("globals", err);
          });
          warnings.push(...notes.map((l) => `globals: ${l}`));
        });
      }
      const name = plan.byMember.get(member);
      if (name === undefined) return null;
      const into = plan.targets.get(name)!;
      const properties = plan.index.databases.find((d) => d.name === name)!.properties;
      return consumer(async (dump) => {
        // Created here, after the globals: the owner it is given may be one of their roles.
        if (plan.missing.has(into)) {
          const notes = await dialect.createDatabase(target, into, properties, { noOwner: opts.noOwner ?? false }).catch((err: unknown) => {
            throw restoreStageError("create", err);
          });
          warnings.push(...notes.map((l) => `${name}: ${l}`));
        }
        const result = await dialect.restoreDatabase(dump, { ...target, database: into }, { ...opts, format: dialect.memberFormat, codec: "none" }).catch((err: unknown) => {
          const e = restoreStageError("restore", err);
          throw new HoldfastError(e.code, `${name}${into !== name ? ` (into ${into})` : ""}: ${e.message}`, { ...e.details, database: name, target: into }, e.retryable);
        });
        restored.push(name);
        warnings.push(...result.warnings.map((l) => `${name}: ${l}`));
      });
    },
    manifest: async (manifest, seen) => checkManifest(state.plan!.index, manifest, seen),
  });
  const fed = pipeline(artifact, decoder.stream);
  const [readOutcome, fedOutcome] = await Promise.allSettled([read, fed]);
  // A reader that stopped early leaves a zstd child waiting on a stdin nobody closes.
  if (readOutcome.status === "rejected") decoder.abort();
  const decoded = await decoder.done.then(
    () => null,
    (err: unknown) => err,
  );
  if (readOutcome.status === "rejected") {
    // A cut or corrupt stream shows in the reader first; the decoder's own error says why.
    const err: unknown = readOutcome.reason;
    if (decoded && !(err instanceof HoldfastError && err.details?.stage !== "unpack")) throw restoreStageError("decompress", decoded);
    throw err instanceof HoldfastError ? err : restoreStageError("unpack", err);
  }
  if (decoded) throw restoreStageError("decompress", decoded);
  if (fedOutcome.status === "rejected") throw restoreStageError("decompress", fedOutcome.reason);
  const selected = state.plan ? [...state.plan.targets.keys()] : [];
  const missing = selected.filter((n) => !restored.includes(n));
  if (missing.length > 0) throw new HoldfastError("RESTORE_FAILED", `The backup's tar lacks the dumps of ${missing.join(", ")}`, { stage: "unpack", databases: missing });
  return { durationMs: Math.round(performance.now() - started), warnings };
}

/** Every member the manifest lists was read with its size and SHA-256, and nothing else was: the tar is what the dump wrote. */
function checkManifest(index: ServerIndex, manifest: ServerManifest, seen: MemberDigest[]): void {
  const listed = [...(manifest.globals ? [manifest.globals] : []), ...manifest.databases];
  const sameList = JSON.stringify(index.databases.map((d) => d.member)) === JSON.stringify(manifest.databases.map((d) => d.member));
  const bad = listed.filter((m) => {
    const s = seen.find((r) => r.member === m.member);
    return !s || s.sizeBytes !== m.sizeBytes || s.sha256 !== m.sha256 || s.parts !== m.parts;
  });
  const extra = seen.filter((s) => !listed.some((m) => m.member === s.member));
  if (!sameList || bad.length > 0 || extra.length > 0) {
    throw new HoldfastError("RESTORE_FAILED", "The backup's members do not match its manifest", {
      stage: "manifest",
      members: [...bad, ...extra].slice(0, 20).map((m) => m.member),
    });
  }
}
