import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchMysql, mysql, MYSQL, type ScratchMysql, snapshotMysql } from "../support/mysql.js";
import { type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";

const settledWithDeliveries = (r: { state: string; deliveries: { state: string }[] }) =>
  r.state === "failed" || (r.state === "completed" && r.deliveries.every((d) => d.state !== "pending" && d.state !== "running"));
const ended = (r: { state: string }) => r.state === "completed" || r.state === "failed";

/** A second process appending to the ledger and its total in one transaction each, until killed. */
const WAL_WRITER = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1]);
db.pragma("busy_timeout = 5000");
let i = 100000;
const add = db.transaction((n) => {
  db.prepare("INSERT INTO ledger (amount, memo, raw) VALUES (?, ?, ?)").run(n, "late", Buffer.from([1]));
  db.prepare("UPDATE totals SET v = v + ? WHERE k = 'sum'").run(n);
});
setInterval(() => { for (let k = 0; k < 20; k++) add(i++); }, 2);
`;

// The other engines through the whole product: a real agent dumps, the control plane pulls and
// delivers, the drill verifies, and a restore through Holdfast into a fresh target equals the source.
describe("engines beyond PostgreSQL, end to end", () => {
  let stack: Stack;
  let client: Api;
  let destinationId: string;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client;
    destinationId = (await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("engines-dest") } })).body.id;
  });
  afterAll(async () => {
    await stack?.stop();
    for (const c of cleanups) c();
  });

  /** `test: false` for a restore target that does not exist yet (a SQLite file the restore creates). */
  async function datasource(name: string, engine: string, connection: object, test = true): Promise<string> {
    const ds = await client.post("/datasources", { agentId: stack.agent.agentId, name, engine, connection, test });
    expect(ds.status).toBe(201);
    return ds.body.id;
  }

  async function backupAndRestore(sourceId: string, targetId: string, options: object) {
    const started = await client.post(`/datasources/${sourceId}/backups`, { destinationIds: [destinationId], options });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, settledWithDeliveries);
    expect(run).toMatchObject({ state: "completed", verified: true, deliveries: [expect.objectContaining({ state: "completed" })] });
    const restore = await client.post(`/runs/${run.runId}/restore`, { targetDatasourceId: targetId });
    expect(restore.status).toBe(202);
    const restored = await waitForRun(client, restore.body.runId, ended);
    expect(restored).toMatchObject({ kind: "restore", state: "completed", error: null });
    return run;
  }

  describe("MySQL / MariaDB", () => {
    let source: ScratchMysql;
    let target: ScratchMysql;

    beforeAll(() => {
      source = createScratchMysql("hf_e2e_my_src");
      target = createScratchMysql("hf_e2e_my_dst");
      cleanups.push(source.drop, target.drop);
      mysql(
        `CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(100), size ENUM('s','m','l'), flags SET('a','b','c'), blob_col LONGBLOB, note TEXT);
         INSERT INTO items VALUES (1, 'plain', 's', 'a,c', UNHEX('00FF7F80'), NULL), (2, '😀 emoji', 'l', '', '', ''), (3, 'quote '' and \\\\ backslash', NULL, 'b', NULL, 'x');
         INSERT INTO items SELECT seq, CONCAT('row ', seq), 'm', 'a', RANDOM_BYTES(16), REPEAT('z', seq % 50) FROM seq_10_to_2000;
         CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, at_label VARCHAR(100));
         CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id, at_label) VALUES (NEW.id, NEW.label);
         CREATE VIEW big_items AS SELECT id, label FROM items WHERE size = 'l';
         CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;`,
        source.name,
      );
    });

    it("backs up with zstd and a drill, delivers, and restores into a fresh database equal to the source", async () => {
      const conn = (database: string) => ({ host: MYSQL.host, port: MYSQL.port, database, username: "root" });
      const sourceId = await datasource("my source", "mysql", conn(source.name));
      const targetId = await datasource("my target", "mysql", conn(target.name));
      const run = await backupAndRestore(sourceId, targetId, { compression: { codec: "zstd" }, verify: true });
      expect(run.artifact).toMatchObject({ format: "plain", codec: "zstd" });
      expect(run.verification).toMatchObject({ verified: true, checked: 2 });
      expect(snapshotMysql(target.name)).toEqual(snapshotMysql(source.name));
    });
  });

  describe("SQLite", () => {
    it("backs up a database in WAL mode while it is written, with gzip and a drill; the restore holds the snapshot exactly", async () => {
      const dir = tempDir("sqlite-e2e");
      const sourcePath = path.join(dir, "app.db");
      const targetPath = path.join(dir, "restored.db");
      const db = new Database(sourcePath);
      db.pragma("journal_mode = WAL");
      db.exec("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, memo TEXT, raw BLOB); CREATE TABLE totals (k TEXT PRIMARY KEY, v INTEGER)");
      db.exec("INSERT INTO totals VALUES ('sum', 0)");
      const add = db.transaction((i: number) => {
        db.prepare("INSERT INTO ledger (amount, memo, raw) VALUES (?, ?, ?)").run(i, i % 7 === 0 ? null : `memo ${i} 😀`, Buffer.from([i & 255, 0, 255]));
        db.prepare("UPDATE totals SET v = v + ? WHERE k = 'sum'").run(i);
      });
      for (let i = 1; i <= 5000; i++) add(i);
      db.close();
      // Another process keeps writing, in transactions that keep the invariant, while the agent dumps.
      const writer = spawn(process.execPath, ["-e", WAL_WRITER, sourcePath], { cwd: import.meta.dirname, stdio: ["ignore", "ignore", "inherit"] });
      try {
        const sourceId = await datasource("sqlite source", "sqlite", { path: sourcePath });
        const targetId = await datasource("sqlite target", "sqlite", { path: targetPath }, false);
        const run = await backupAndRestore(sourceId, targetId, { compression: { codec: "gzip" }, verify: true });
        expect(run.artifact).toMatchObject({ format: "sqlite", codec: "gzip" });
      } finally {
        writer.kill();
      }
      const restored = new Database(targetPath, { readonly: true });
      try {
        expect(restored.pragma("integrity_check", { simple: true })).toBe("ok");
        const { n, total } = restored.prepare("SELECT count(*) AS n, sum(amount) AS total FROM ledger").get() as { n: number; total: number };
        expect(n).toBeGreaterThanOrEqual(5000);
        expect((restored.prepare("SELECT v FROM totals").get() as { v: number }).v).toBe(total);
        expect(restored.prepare("SELECT memo, hex(raw) AS raw FROM ledger WHERE id IN (7, 8) ORDER BY id").all()).toEqual([
          { memo: null, raw: "0700FF" },
          { memo: "memo 8 😀", raw: "0800FF" },
        ]);
      } finally {
        restored.close();
      }
    });
  });

  describe("files", () => {
    const tree = (root: string): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const rel of (fs.readdirSync(root, { recursive: true }) as string[]).sort()) {
        const full = path.join(root, rel);
        const st = fs.lstatSync(full);
        out[rel] = st.isSymbolicLink() ? `-> ${fs.readlinkSync(full)}` : st.isDirectory() ? "dir" : createHash("sha256").update(fs.readFileSync(full)).digest("hex");
      }
      return out;
    };

    it("backs up a folder (unicode names, excludes, a symlink pointing outside) uncompressed with a drill; the restore equals the filtered source", async () => {
      const root = tempDir("files-src");
      const target = tempDir("files-dst");
      fs.mkdirSync(path.join(root, "docs/été"), { recursive: true });
      fs.mkdirSync(path.join(root, "skip/deep"), { recursive: true });
      fs.writeFileSync(path.join(root, "docs/été/résumé 📄.txt"), "bonjour\n");
      fs.writeFileSync(path.join(root, "docs/binary.bin"), Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)));
      fs.writeFileSync(path.join(root, "empty"), "");
      fs.writeFileSync(path.join(root, "scratch.tmp"), "temporary");
      fs.writeFileSync(path.join(root, "skip/deep/big.log"), "x".repeat(100_000));
      fs.symlinkSync("/etc/passwd", path.join(root, "outside-link"));

      const sourceId = await datasource("folder", "files", { path: root, exclude: ["skip/**", "*.tmp"] });
      const targetId = await datasource("folder target", "files", { path: target });
      const run = await backupAndRestore(sourceId, targetId, { compression: { codec: "none" }, verify: true });
      expect(run.artifact).toMatchObject({ format: "tar", codec: "none" });

      const expected = Object.fromEntries(Object.entries(tree(root)).filter(([rel]) => !rel.startsWith("skip") && !rel.endsWith(".tmp")));
      expect(tree(target)).toEqual(expected);
      expect(expected["outside-link"]).toBe("-> /etc/passwd");
    });
  });
});
