import { describe, expect, it } from "vitest";
import { enrollmentTokenHash } from "./agent-auth.js";

describe("enrollmentTokenHash", () => {
  it("is the hex SHA-256 of the token's text, as every stored token hash so far", async () => {
    // FIPS 180-2's test vector, and a token of the real shape against `printf %s TOKEN | sha256sum`.
    expect(await enrollmentTokenHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await enrollmentTokenHash("hf_enr_example")).toBe("bfbc1c0d7b264eb9de0b91b58b1be8455b4c5d16c0d25d276f2d4ea64854742e");
  });
});
