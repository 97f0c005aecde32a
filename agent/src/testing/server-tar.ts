import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { gunzipSync } from "node:zlib";
import { Readable } from "node:stream";
import tarStream from "tar-stream";
import type { Codec } from "@holdfast/shared/protocol";

/** Test-only: a whole server's staged artifact, unpacked in memory (test data is small), entry by entry in the tar's order. */
export async function tarEntries(file: string, codec: Codec): Promise<{ name: string; data: Buffer }[]> {
  const raw = fs.readFileSync(file);
  const bytes = codec === "zstd" ? execFileSync("zstd", ["-dc"], { input: raw, maxBuffer: 1 << 30 }) : codec === "gzip" ? gunzipSync(raw) : raw;
  const extract = tarStream.extract();
  const entries: { name: string; data: Buffer }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      entries.push({ name: entry.header.name, data: Buffer.concat(chunks) });
    }
  })();
  Readable.from([bytes]).pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return entries;
}

/** Each member's parts joined (`<member>.000001`...), with its size and SHA-256, and the JSON entries parsed. */
export function membersOf(entries: { name: string; data: Buffer }[]) {
  const members = new Map<string, Buffer[]>();
  const json: Record<string, unknown> = {};
  for (const e of entries) {
    if (e.name.endsWith(".json")) {
      json[e.name] = JSON.parse(e.data.toString("utf8"));
      continue;
    }
    const m = /^(.*)\.(\d{6})$/.exec(e.name);
    if (!m) throw new Error(`unexpected entry ${e.name}`);
    members.set(m[1]!, [...(members.get(m[1]!) ?? []), e.data]);
  }
  const digests = [...members].map(([member, parts]) => {
    const data = Buffer.concat(parts);
    return { member, parts: parts.length, sizeBytes: data.length, sha256: createHash("sha256").update(data).digest("hex"), data };
  });
  return { digests, json };
}
