// `@holdfast/shared/protocol`: what the agent needs (the link's frames, commands and events, the error
// catalog, run states) without the REST API's schemas, which cost the idle agent about 3 MiB of heap
// (docs/decisions.md, "Agent idle memory (issue 18)"). The root entry re-exports all of it.
export * from "../errors.js";
export * from "../run-state.js";
export * from "../clock.js";
export * from "../ids.js";
export * from "../log-redaction.js";
export * from "../sealed-secret.js";
export * from "./envelope.js";
export * from "./commands.js";
export * from "./events.js";
export * from "./frames.js";
export * from "./datasource.js";
export * from "./backup-options.js";
export * from "./verification.js";
export * from "./agent-auth.js";
export * from "./sidecar.js";
export * from "./versions.js";
export * from "./tls-pins.js";
export * from "./loopback.js";
