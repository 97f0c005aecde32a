// Builds (or finds up to date) the agent package the install and package suites use, so that
// `npm test` can start it at low priority while the unit suites run instead of making the
// end-to-end phase wait ~3 minutes for it. Same lock and freshness rule as the suites' own call.
import { ensureAgentPackage } from "./agent-package.js";

try {
  const pkg = await ensureAgentPackage();
  console.log(`agent package ${pkg.name} ready${pkg.buildSeconds > 0 ? ` (built in ${pkg.buildSeconds.toFixed(0)} s)` : " (up to date)"}`);
} catch (err) {
  // The suites that need it build it again and report the failure themselves.
  console.error(`agent package prebuild failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
