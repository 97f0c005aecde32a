import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { assertDumpHead, dumpHeadMatches, readDumpHead } from "./dump-head.js";
import { makeTempDir } from "../testing/helpers.js";

const dir = makeTempDir("dump-head");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Real tools' first bytes (pg_dump 15, pg_dumpall -g, mariadb-dump 10.11, mysqldump 8). */
const PG_PLAIN = "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.20\n";
const PG_CLUSTER = "--\n-- PostgreSQL database cluster dump\n--\n\nSET default_transaction_read_only = off;\n";
const MARIADB = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n";
const MYSQL = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n";

describe("a dump's first bytes", () => {
  it.each([
    ["postgres", "plain", PG_PLAIN, true],
    ["postgres", "plain", PG_CLUSTER, true],
    ["postgres", "plain", "<html>502 Bad Gateway</html>", false],
    ["postgres", "plain", "", false],
    ["postgres", "custom", "PGDMP\x01\x0f\x00\x04\x08\x01\x01", true],
    ["postgres", "custom", PG_PLAIN, false],
    ["mysql", "plain", MARIADB, true],
    ["mysql", "plain", MYSQL, true],
    ["mysql", "plain", PG_PLAIN, false],
    // Formats the agent assembles itself have no header rule.
    ["postgres", "directory", "anything", true],
    ["postgres", "server", "anything", true],
  ] as const)("%s %s starting %j: %s", (engine, format, head, ok) => {
    expect(dumpHeadMatches(engine, format, Buffer.from(head, "latin1"))).toBe(ok);
  });

  it("are read back through each codec, a zstd child included", async () => {
    const raw = Buffer.concat([Buffer.from(PG_PLAIN), Buffer.alloc(100_000, "x")]);
    const none = path.join(dir, "a.sql");
    fs.writeFileSync(none, raw);
    const gz = path.join(dir, "a.sql.gz");
    fs.writeFileSync(gz, zlib.gzipSync(raw));
    const zst = path.join(dir, "a.sql.zst");
    execFileSync("zstd", ["-q", "-f", none, "-o", zst]);
    for (const [file, codec] of [[none, "none"], [gz, "gzip"], [zst, "zstd"]] as const) {
      const head = await readDumpHead(file, codec);
      expect(head.length).toBe(512);
      expect(head.toString("latin1").startsWith(PG_PLAIN)).toBe(true);
    }
  });

  it("refuse garbage a tool exited 0 after with DUMP_FAILED, quoting what it found", async () => {
    const file = path.join(dir, "garbage.gz");
    fs.writeFileSync(file, zlib.gzipSync(Buffer.from("Segmentation fault\x00\x01")));
    await expect(assertDumpHead(file, "postgres", "plain", "gzip")).rejects.toMatchObject({
      code: "DUMP_FAILED",
      message: expect.stringContaining('it starts with "Segmentation fault??"'),
    });
    const good = path.join(dir, "good.gz");
    fs.writeFileSync(good, zlib.gzipSync(Buffer.from(PG_PLAIN)));
    await expect(assertDumpHead(good, "postgres", "plain", "gzip")).resolves.toBeUndefined();
  });

  it("refuse a staged file that does not decode", async () => {
    const file = path.join(dir, "torn.gz");
    fs.writeFileSync(file, Buffer.from("not gzip at all"));
    await expect(assertDumpHead(file, "postgres", "plain", "gzip")).rejects.toMatchObject({ code: "DUMP_FAILED" });
  });
});
