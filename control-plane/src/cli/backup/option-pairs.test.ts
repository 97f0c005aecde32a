import { describe, expect, it } from "vitest";
import { CliError } from "../remote/cli-error.js";
import { parseOptionPairs } from "./option-pairs.js";

const refusal = (pairs: string[]) => {
  try {
    parseOptionPairs(pairs);
  } catch (err) {
    return err as CliError;
  }
  throw new Error("accepted");
};

describe("--option k=v", () => {
  it("types each value from the shared BackupOptions schema and nests dotted keys", () => {
    expect(parseOptionPairs(["format=custom", "compression.codec=zstd", "compression.level=9", "verify=true", "schemaOnly", "maxFileSizeMb=5"])).toEqual({
      format: "custom",
      compression: { codec: "zstd", level: 9 },
      verify: true,
      schemaOnly: true,
      maxFileSizeMb: 5,
    });
  });

  it("takes a list repeated or comma-separated", () => {
    expect(parseOptionPairs(["tables.include=public.a,public.b", "tables.include=public.c", "tables.exclude=x"])).toEqual({ tables: { include: ["public.a", "public.b", "public.c"], exclude: ["x"] } });
  });

  it("gives nothing when no option was given (the server's defaults)", () => {
    expect(parseOptionPairs([])).toBeUndefined();
  });

  it("refuses an unknown key, naming the ones there are, as a usage error", () => {
    const e = refusal(["formt=plain"]);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/formt: not a backup option .*compression\.codec/);
  });

  it("refuses a value of the wrong type or outside the schema", () => {
    expect(refusal(["compression.level=high"]).message).toMatch(/compression\.level: a whole number/);
    expect(refusal(["verify=yes"]).message).toMatch(/verify: true or false/);
    expect(refusal(["format=zip"]).exitCode).toBe(2);
    expect(refusal(["compression.codec=gzip", "compression.level=12"]).message).toMatch(/level is outside the codec's range/);
    expect(refusal(["schemaOnly=true", "dataOnly=true"]).message).toMatch(/exclude each other/);
    expect(refusal(["encryption.recipient=age1nope"]).message).toMatch(/age X25519 recipient/);
  });
});
