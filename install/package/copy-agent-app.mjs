// What the agent runs from, copied out of a built checkout: the agent's package.json, bin/ and dist/,
// the shared package's package.json and dist/, and the agent's production dependencies exactly as
// `npm ls --omit=dev` lists them, in the checkout's own node_modules layout. Nothing else (sources,
// dev tools, a control plane's data beside it). Used by the package build.
//   node install/package/copy-agent-app.mjs CHECKOUT DEST
import { cpSync, existsSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { run } from "./node-runtime.mjs";

/** The folders of the agent's production dependencies, relative to the checkout (workspace links left out). */
export async function productionDependencies(root) {
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ["npm", []];
  let out;
  try {
    out = await run(npm[0], [...npm[1], "ls", "--omit=dev", "--workspace", "agent", "--parseable", "--all"], { cwd: root });
  } catch (err) {
    throw new Error(`npm ls could not list the agent's dependencies: run npm ci in ${root}\n${err.message}`);
  }
  return out
    .split("\n")
    .filter(Boolean)
    .map((dir) => path.relative(root, dir))
    .filter((rel) => rel !== "" && !rel.startsWith("..") && !rel.startsWith("node_modules/@holdfast/"));
}

/**
 * Replaces `dest` with the agent's runnable copy. `skip(rel)` (a path relative to the checkout)
 * leaves a file or folder out: the package build leaves out native addons' `build/`, rebuilt after.
 */
export async function copyAgentApp(checkout, dest, { skip = () => false } = {}) {
  const root = realpathSync(checkout);
  const target = path.resolve(dest);
  if ((target + path.sep).startsWith(root + path.sep)) throw new Error(`copy to a folder outside the checkout ${root}`);
  for (const built of ["agent/dist/cli/main.js", "shared/dist/index.js"]) {
    if (!existsSync(path.join(root, built))) throw new Error(`the agent is not built (${built} is missing): run npm ci && npm run build in ${root}`);
  }
  const deps = await productionDependencies(root);
  const staging = `${target}.new`;
  rmSync(staging, { recursive: true, force: true });
  const copy = (rel) =>
    cpSync(path.join(root, rel), path.join(staging, rel), {
      recursive: true,
      verbatimSymlinks: true,
      // tsc's incremental state names the build machine's paths and serves nothing at run time.
      filter: (src) => !src.endsWith(".tsbuildinfo") && !skip(path.relative(root, src)),
    });
  for (const rel of ["agent/package.json", "agent/bin", "agent/dist", "shared/package.json", "shared/dist", ...deps]) copy(rel);
  // The workspace packages are links, as npm makes them.
  mkdirSync(path.join(staging, "node_modules/@holdfast"), { recursive: true });
  symlinkSync("../../agent", path.join(staging, "node_modules/@holdfast/agent"));
  symlinkSync("../../shared", path.join(staging, "node_modules/@holdfast/shared"));
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return { dependencies: deps };
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname)) {
  const [checkout, dest] = process.argv.slice(2);
  if (!checkout || !dest) {
    process.stderr.write("usage: node copy-agent-app.mjs CHECKOUT DEST\n");
    process.exit(2);
  }
  try {
    await copyAgentApp(checkout, dest);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
