import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { GlobalsSplitter } from "./globals-splitter.js";

const GLOBALS = "--\n-- PostgreSQL database cluster dump\n--\n\nCREATE ROLE \"rôle\";\n\n--\n-- PostgreSQL database cluster dump complete\n--\n";
const DATABASE = "--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE t (v text);\n";

async function split(text: string, chunkSize: number): Promise<{ globals: string[]; rest: string }> {
  const bytes = Buffer.from(text, "utf8");
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const globals: string[] = [];
  const out = Readable.from(chunks).pipe(new GlobalsSplitter(async (sql) => void globals.push(sql)));
  return { globals, rest: (await buffer(out)).toString("utf8") };
}

describe("GlobalsSplitter", () => {
  it("hands over exactly the globals section and passes the rest on, whatever the chunk boundaries", async () => {
    for (const size of [1, 2, 7, 64, 1 << 20]) {
      expect(await split(GLOBALS + DATABASE, size)).toEqual({ globals: [GLOBALS], rest: DATABASE });
    }
  });
  it("leaves a dump without globals untouched, a short one included", async () => {
    for (const text of [DATABASE, "--\n", "", "SELECT 1;\n"]) {
      for (const size of [1, 3, 1 << 20]) expect(await split(text, size)).toEqual({ globals: [], rest: text });
    }
  });
  it("refuses a dump that ends inside its globals section", async () => {
    await expect(split(GLOBALS.slice(0, 60), 5)).rejects.toThrow(/ended inside its globals/);
  });
});
