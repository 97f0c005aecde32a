import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, uniqueName } from "../../testing/helpers.js";
import { MysqlEngine } from "./engine.js";
import { createOptionsFile, formatOptionsFile, quoteOptionValue } from "./option-file.js";
import { MY, myConn, mysqlRoot } from "../../testing/mysql-server.js";

/** Passwords that break naive option-file writing: comment marks, quotes, escapes, line breaks, edge spaces. */
const HOSTILE_PASSWORDS = [
  'a"b#c\\d',
  "x\ny",
  "\r\n",
  "  lead",
  "trail  ",
  '"',
  "\\",
  "\\\\n",
  "\\s",
  "#",
  "'q'",
  `a'b"c`,
  "é😀",
  "=;[client]\nuser=evil",
  "\ttab",
  '\\"',
  "x\\",
  '"x"',
  "\x01\x1b\b",
  " ",
  "a # b",
  "",
  "p".repeat(1024),
];

describe("quoteOptionValue / formatOptionsFile", () => {
  it("quotes and escapes what the option-file reader would otherwise cut or reinterpret", () => {
    expect(quoteOptionValue("plain")).toBe('"plain"');
    expect(quoteOptionValue('a"b#c\\d')).toBe('"a\\"b#c\\\\d"');
    expect(quoteOptionValue("x\ny\r\t\b")).toBe('"x\\ny\\r\\t\\b"');
    expect(formatOptionsFile(undefined)).toBe("[client]\n");
    expect(formatOptionsFile("=;[client]\nuser=evil")).toBe('[client]\npassword="=;[client]\\nuser=evil"\n');
    // One line, whatever the password holds.
    for (const p of HOSTILE_PASSWORDS) expect(formatOptionsFile(p).split("\n")).toHaveLength(3);
  });

  it("refuses a NUL byte and a line the reader's 4 KiB buffer would split", () => {
    expect(() => quoteOptionValue("a\0b")).toThrow(/NUL/);
    expect(() => formatOptionsFile("😀".repeat(1001))).toThrow(/too long/);
    expect(() => formatOptionsFile("😀".repeat(990))).not.toThrow();
  });
});

describe("the options file on disk", () => {
  const tmp = makeTempDir("myopt");
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("is 0600 in a 0700 dir, holds the password quoted, and is gone after remove()", async () => {
    const file = await createOptionsFile(tmp, { password: 's3cret"#' });
    expect(fs.statSync(file.path).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file.path)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(file.path, "utf8")).toBe('[client]\npassword="s3cret\\"#"\n');
    await file.remove();
    expect(fs.existsSync(path.dirname(file.path))).toBe(false);
  });

  it("reads the first line of passwordFile at run time, and refuses a NUL as VALIDATION_FAILED", async () => {
    const pwFile = path.join(tmp, "pw");
    fs.writeFileSync(pwFile, "from-file\nsecond line\n", { mode: 0o600 });
    const file = await createOptionsFile(tmp, { passwordFile: pwFile });
    expect(file.password).toBe("from-file");
    expect(fs.readFileSync(file.path, "utf8")).toContain('password="from-file"');
    await file.remove();
    await expect(createOptionsFile(tmp, { password: "a\0b" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith("holdfast-my-"))).toEqual([]);
  });
});

describe("hostile passwords against the real server", () => {
  const tmp = makeTempDir("mypw");
  const user = uniqueName("hf_pw");
  const db = uniqueName("hf_pwdb");
  const engine = new MysqlEngine({ tmpDir: tmp });
  const sqlString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

  beforeAll(() => {
    mysqlRoot(`CREATE DATABASE \`${db}\`; CREATE USER '${user}'@'${MY.host}' IDENTIFIED BY 'x'; GRANT ALL ON \`${db}\`.* TO '${user}'@'${MY.host}';`);
  });
  afterAll(() => {
    mysqlRoot(`DROP USER IF EXISTS '${user}'@'${MY.host}'; DROP DATABASE IF EXISTS \`${db}\`;`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("each one authenticates through the options file, exactly as set", async () => {
    for (const password of HOSTILE_PASSWORDS) {
      mysqlRoot(`ALTER USER '${user}'@'${MY.host}' IDENTIFIED BY ${sqlString(password)};`);
      const result = await engine.testConnection(myConn(db, { username: user, password })).catch((e: unknown) => e);
      expect(result, JSON.stringify(password)).toHaveProperty("serverVersion");
    }
    // The last one set is 1024 characters; one character off must be refused by the server.
    const wrong = await engine.testConnection(myConn(db, { username: user, password: "p".repeat(1023) })).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: "DATABASE_AUTH_FAILED" });
  }, 60_000);
});
