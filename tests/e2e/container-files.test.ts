import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Copy, DockerfileParser, type Instruction, type JSONInstruction, type Env as EnvInstruction } from "dockerfile-ast";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadEnv, SETTING_KEYS, variableOf } from "../../control-plane/src/env.js";
import { CONFIG_FILE_VARIABLE } from "../../control-plane/src/config/config-file.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type ControlPlane, HOLDFAST_BIN, ROOT, runCli, startControlPlane, tempDir } from "../support/processes.js";

/*
 * No container engine runs where the tests do, so install/Containerfile and install/compose.yaml are
 * read, not built: their command, port, volumes and environment must be the documented settings of
 * env.ts, the files they copy must exist, and their health checks must ask a route a real control
 * plane answers. The environment they set is then given to a real control plane and a real
 * PostgreSQL, the way the compose file runs it: migrate, then serve.
 */

const CONTAINERFILE = path.join(ROOT, "install/Containerfile");
const COMPOSE = path.join(ROOT, "install/compose.yaml");
const SETTING_VARIABLES = new Set(SETTING_KEYS.map(variableOf));

/** The Containerfile's instructions, by stage (each FROM starts one). */
function stages(): Instruction[][] {
  const dockerfile = DockerfileParser.parse(readFileSync(CONTAINERFILE, "utf8"));
  const result: Instruction[][] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") result.push([]);
    result[result.length - 1]?.push(instruction);
  }
  return result;
}

const ofKind = (stage: Instruction[], keyword: string) => stage.filter((i) => i.getKeyword() === keyword);
const jsonStrings = (i: Instruction) => (i as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());

/** A compose value with `${NAME}`, `${NAME:?message}` or `${NAME:-default}` filled from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::[?-][^}]*)?\}/g, (_, name: string) => {
    if (vars[name] === undefined) throw new Error(`compose.yaml uses \${${name}}, which the test does not know`);
    return vars[name];
  });
}

/** The `/path` a health check's command fetches on the container's loopback, and the port it asks. */
function healthTarget(command: string[]): { port: number; path: string } {
  const url = command.join(" ").match(/http:\/\/127\.0\.0\.1:(\d+)(\/[\w/-]*)/);
  expect(url, `a health check fetching http://127.0.0.1:PORT/PATH: ${command.join(" ")}`).not.toBeNull();
  return { port: Number(url![1]), path: url![2]! };
}

type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
};
const compose = parseYaml(readFileSync(COMPOSE, "utf8")) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };

const runtime = stages().at(-1)!;
const imageEnv = Object.fromEntries(
  ofKind(runtime, "ENV").flatMap((i) => (i as EnvInstruction).getProperties().map((p) => [p.getName(), p.getValue() ?? ""] as const)),
);
/** What .env holds, as compose.yaml's header says to make it. */
const dotEnv = { POSTGRES_PASSWORD: "0123456789abcdef0123456789abcdef0123456789abcdef", HOLDFAST_MASTER_KEY: Buffer.alloc(32, 9).toString("base64") };
const holdfastServices = Object.entries(compose.services).filter(([, s]) => s.image === compose.services.migrate?.image);
const serviceEnv = (s: ComposeService) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), dotEnv)]));

describe("install/Containerfile", () => {
  it("builds in one stage and runs, in another, as an unprivileged user with the documented settings", () => {
    expect(stages().length).toBeGreaterThanOrEqual(2);
    const users = ofKind(runtime, "USER").map((u) => u.getArgumentsContent());
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);

    for (const name of Object.keys(imageEnv).filter((n) => n.startsWith("HOLDFAST_"))) expect(SETTING_VARIABLES, `${name} is a setting`).toContain(name);
    const env = loadEnv({}, imageEnv);
    expect(env.host).toBe("0.0.0.0");

    const exposed = ofKind(runtime, "EXPOSE").flatMap((i) => i.getArguments().map((a) => Number(a.getValue().replace(/\/tcp$/, ""))));
    expect(exposed).toEqual([env.port]);

    const volumes = ofKind(runtime, "VOLUME").flatMap(jsonStrings);
    expect(volumes).toContain(env.dataDir);
    // The spool is the state that matters most between restarts: it is under a volume.
    expect(volumes.some((v) => env.spoolDir.startsWith(`${v}/`))).toBe(true);

    const healthchecks = ofKind(runtime, "HEALTHCHECK");
    expect(healthchecks).toHaveLength(1);
    expect(healthTarget([healthchecks[0]!.getArgumentsContent() ?? ""]).port).toBe(env.port);
  });

  it("runs `holdfast serve` through an init, `holdfast` being the control plane's own CLI", async () => {
    expect(ofKind(runtime, "ENTRYPOINT").flatMap(jsonStrings)).toEqual(["/usr/bin/tini", "--"]);
    expect(ofKind(runtime, "CMD").flatMap(jsonStrings)).toEqual(["holdfast", "serve"]);
    const link = ofKind(runtime, "RUN").map((r) => r.getArgumentsContent() ?? "").find((r) => r.includes("/usr/local/bin/holdfast"));
    const target = /ln -s \/opt\/holdfast\/(\S+) \/usr\/local\/bin\/holdfast/.exec(link ?? "");
    expect(target?.[1]).toBe(path.relative(ROOT, HOLDFAST_BIN));
    const help = await runCli(HOLDFAST_BIN, ["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--config <file>");
  });

  it("copies only files that exist: from the build context, and from the build stage what the build leaves", () => {
    const build = stages()[0]!;
    const workdir = ofKind(build, "WORKDIR")[0]!.getArgumentsContent()!;
    const copies = stages().flatMap((stage) => ofKind(stage, "COPY") as Copy[]);
    expect(copies.length).toBeGreaterThan(5);
    for (const copy of copies) {
      const args = copy.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--"));
      for (const source of args.slice(0, -1)) {
        // From the build stage: a path under its WORKDIR, which mirrors this checkout once built.
        const relative = copy.getFromFlag() ? path.relative(workdir, source) : source;
        expect(existsSync(path.join(ROOT, relative)), `COPY ${source}`).toBe(true);
      }
    }
  });
  it("needs no node_modules but the root's: the lockfile nests none under the packages the image keeps", () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const nested = Object.entries(lock.packages).filter(([where, pkg]) => /^(shared|control-plane)\/node_modules\//.test(where) && !pkg.dev);
    expect(nested.map(([where]) => where)).toEqual([]);
  });
});

describe("install/compose.yaml", () => {
  const holdfast = compose.services.holdfast!;

  it("builds this Containerfile and runs migrate, then serve, once PostgreSQL is healthy", () => {
    const migrate = compose.services.migrate!;
    expect(path.resolve(path.dirname(COMPOSE), migrate.build!.context, migrate.build!.dockerfile)).toBe(CONTAINERFILE);
    expect(migrate.command).toEqual(["holdfast", "migrate"]);
    expect(holdfast.command).toEqual(["holdfast", "serve"]);
    expect(holdfast.image).toBe(migrate.image);
    expect(holdfast.build).toEqual(migrate.build);
    expect(compose.services.postgres?.healthcheck?.test).toContain("pg_isready");
    expect(migrate.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(holdfast.depends_on).toEqual({ postgres: { condition: "service_healthy" }, migrate: { condition: "service_completed_successfully" } });
  });

  it("sets only real settings, keeps the state in PostgreSQL and the data dir (with the spool) on a named volume", () => {
    for (const [, service] of holdfastServices) {
      for (const name of Object.keys(service.environment ?? {})) expect([...SETTING_VARIABLES, CONFIG_FILE_VARIABLE], `${name} is a setting`).toContain(name);
    }
    const raw = readFileSync(COMPOSE, "utf8");
    for (const [, name] of raw.matchAll(/\$\{(HOLDFAST_[A-Z0-9_]+)/g)) expect(SETTING_VARIABLES).toContain(name);

    const env = loadEnv({}, { ...imageEnv, ...serviceEnv(holdfast) });
    const database = new URL(env.databaseUrl!);
    expect(database.protocol).toBe("postgres:");
    expect(database.hostname).toBe("postgres");
    const pg = compose.services.postgres!.environment!;
    expect([database.username, database.pathname.slice(1)]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_DB]);

    const mounts = (holdfast.volumes ?? []).map((v) => v.split(":"));
    const data = mounts.find(([, target]) => target === env.dataDir);
    expect(data, `a volume mounted at ${env.dataDir}`).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(data![0]);
    expect(env.spoolDir.startsWith(`${env.dataDir}/`)).toBe(true);
  });

  it("publishes the port the image listens on, and checks health on it", () => {
    const env = loadEnv({}, { ...imageEnv, ...serviceEnv(holdfast) });
    const published = (holdfast.ports ?? []).map((p) => Number(p.split(":").at(-1)));
    expect(published).toEqual([env.port]);
    expect(healthTarget(holdfast.healthcheck!.test).port).toBe(env.port);
  });
});

describe("the container's settings on a real control plane and PostgreSQL", () => {
  let db: ScratchDatabase;
  let cp: ControlPlane;
  let settings: Record<string, string>;

  beforeAll(async () => {
    db = await createScratchDatabase("container");
    // The image's and the service's environment as they are, but for what only a container has:
    // its own data dir, its own loopback port, and the database's host name.
    settings = { ...imageEnv, ...serviceEnv(compose.services.holdfast!), HOLDFAST_DATA_DIR: tempDir("container"), HOLDFAST_HOST: "127.0.0.1", HOLDFAST_DATABASE_URL: db.url };
    const migrated = await runCli(HOLDFAST_BIN, compose.services.migrate!.command!.slice(1), { env: settings });
    expect(migrated.stderr).toContain("database is up to date");
    expect(migrated.code).toBe(0);
    cp = await startControlPlane({ env: settings });
  });
  afterAll(async () => {
    await cp?.process.stop();
    await db?.drop();
  });

  it("answers the health checks' route, on PostgreSQL", async () => {
    const checks = [healthTarget([ofKind(runtime, "HEALTHCHECK")[0]!.getArgumentsContent() ?? ""]), healthTarget(compose.services.holdfast!.healthcheck!.test)];
    for (const check of checks) {
      const res = await fetch(`${cp.url}${check.path}`);
      expect(res.status, check.path).toBe(200);
    }
    const ready = await fetch(`${cp.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
