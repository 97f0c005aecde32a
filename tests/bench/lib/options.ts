// Flags every benchmark takes:
//   --pairs N    paired repetitions (default 5; --quick: 2)
//   --mb N       database size in MiB (default 1024; --quick: 32)
//   --quick      a smoke run at small sizes; its tables are not written to docs/benchmarks.md
//   --write      write the tables to docs/benchmarks.md even with --quick
//   --no-write   print only
import { parseArgs, type ParseArgsConfig } from "node:util";

type Extra = NonNullable<ParseArgsConfig["options"]>;

export function benchOptions<E extends Extra>(extra: E, quickDefaults: Record<string, string> = {}) {
  const { values } = parseArgs({
    options: {
      pairs: { type: "string" },
      mb: { type: "string" },
      quick: { type: "boolean", default: false },
      write: { type: "boolean" },
      "no-write": { type: "boolean", default: false },
      ...extra,
    },
    allowPositionals: true,
  });
  const v = values as Record<string, string | boolean | undefined>;
  const quick = v.quick === true;
  const pick = (name: string, normal: string) => String(v[name] ?? (quick ? (quickDefaults[name] ?? normal) : normal));
  const pairs = Number(pick("pairs", quick ? "2" : "5"));
  const mb = Number(pick("mb", quick ? "32" : "1024"));
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error("--pairs: a whole number >= 1");
  if (!Number.isInteger(mb) || mb < 1) throw new Error("--mb: a whole number of MiB >= 1");
  const write = v["no-write"] ? false : v.write === true || !quick;
  return { pairs, mb, quick, write, pick };
}
