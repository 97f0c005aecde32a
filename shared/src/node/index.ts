// Node-only helpers (node:crypto, node:tls): the agent and the control plane import
// `@holdfast/shared/node`; the main entry stays browser-safe for web/.
export * from "./tls-pins.js";
export * from "./test-certificates.js";
