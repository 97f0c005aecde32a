import { readFileSync } from "node:fs";

/** The package's own version: this file sits one folder below package.json both in src/ and in dist/. */
export const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
