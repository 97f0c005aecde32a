/**
 * Renders `docs/protocol.md` from the one source of truth in `shared/src`: the error catalog, the
 * command catalog, the events, the envelopes and the run state machine. Nothing in the page is
 * written by hand, so the page cannot drift from the code: a control-plane test fails when it is stale.
 *
 *   npm run docs:protocol --workspace shared            # rewrite docs/protocol.md
 *   npm run docs:protocol --workspace shared -- --check # exit 1 if it is stale
 *
 * Not part of shared's build (it does file I/O; shared's runtime code does none).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import {
  AckFrame,
  CLOSE_CODES,
  VERSION_HEADERS,
  AgentRunState,
  CONTROL_PLANE_TRANSITIONS,
  canTransition,
  Commands,
  COMMAND_TYPES,
  ERROR_CATALOG,
  ERROR_CODES,
  EventEnvelope,
  Events,
  EVENT_TYPES,
  HelloAckFrame,
  HelloFrame,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  RequestEnvelope,
  ResponseEnvelope,
} from "../src/index.js";

/** Where the page lives: `docs/` at the repository root. */
export const PROTOCOL_DOC_PATH = fileURLToPath(new URL("../../docs/protocol.md", import.meta.url));
export const REGENERATE_COMMAND = "npm run docs:protocol --workspace shared";

type Json = { [k: string]: unknown };

export const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (v: unknown) => `\`${JSON.stringify(v)}\``;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;

function bounds(s: Json, lo: string, hi: string, unit = ""): string {
  const min = s[lo] as number | undefined;
  const max = s[hi] as number | undefined;
  const parts: string[] = [];
  if (min !== undefined && min > -SAFE_MAX && !(min === 0 && unit !== "")) parts.push(`≥ ${min}${unit}`);
  if (typeof s.exclusiveMinimum === "number") parts.push(`> ${s.exclusiveMinimum}${unit}`);
  if (max !== undefined && max < SAFE_MAX) parts.push(`≤ ${max}${unit}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** A JSON Schema node as a short type: `string (date-time)`, `integer (≥ 1)`, `"a", "b"`, `object`. */
function typeOf(s: Json): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(" or ");
  if (Array.isArray(s.type)) return (s.type as string[]).map((type) => typeOf({ ...s, type, default: undefined })).join(" or ");
  if (s.const !== undefined) return code(s.const);
  let t: string;
  if (Array.isArray(s.enum) && s.enum.length === ERROR_CODES.length && ERROR_CODES.every((c) => (s.enum as unknown[]).includes(c))) {
    t = "an errorCode of the [error matrix](#error-matrix)";
  } else if (Array.isArray(s.enum)) t = (s.enum as unknown[]).map(code).join(", ");
  else if (s.type === "string") {
    t = "string";
    if (typeof s.format === "string") t += ` (${s.format})`;
    else if (typeof s.pattern === "string") t += ` matching \`${s.pattern}\``;
    t += bounds(s, "minLength", "maxLength", " chars");
  } else if (s.type === "integer" || s.type === "number") t = `${s.type as string}${bounds(s, "minimum", "maximum")}`;
  else if (s.type === "boolean" || s.type === "null") t = s.type;
  else if (s.type === "array") t = `array of ${typeOf((s.items as Json | undefined) ?? {})}${bounds(s, "minItems", "maxItems", " items")}`;
  else if (s.type === "object") t = s.properties ? "object" : "map";
  else t = "any JSON";
  if (s.default !== undefined) t += `, default ${code(s.default)}`;
  return t;
}

/** The object variant of a node, if it has one (an object, or an object-or-null). */
function objectOf(s: Json): Json | undefined {
  if (s.type === "object" && s.properties) return s;
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(objectOf).find(Boolean);
  return undefined;
}

/** Flattens an object schema into rows `field | type | required`, nested fields as `a.b` and `a[].b`. */
export function fieldRows(s: Json, prefix = ""): string[] {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  const rows: string[] = [];
  for (const [key, prop] of Object.entries(props)) {
    const name = `${prefix}${key}`;
    rows.push(`| \`${name}\` | ${cell(typeOf(prop))} | ${required.has(key) ? "yes" : "no"} |`);
    const nested = objectOf(prop);
    if (nested) rows.push(...fieldRows(nested, `${name}.`));
    const items = prop.type === "array" ? objectOf((prop.items as Json | undefined) ?? {}) : undefined;
    if (items) rows.push(...fieldRows(items, `${name}[].`));
  }
  return rows;
}

/** Fields as a receiver validates them (`io: "input"`): a field with a default may be left out. */
function fieldTable(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  const rows = fieldRows(json);
  if (rows.length === 0) return "_No fields: `{}`._";
  const closed = json.additionalProperties === false ? "\n\nNo other field is accepted." : "";
  return ["| field | type | required |", "| --- | --- | --- |", ...rows].join("\n") + closed;
}

function errorMatrix(): string {
  const rows = Object.entries(ERROR_CATALOG).map(([c, e]) => `| \`${c}\` | ${e.status} | ${e.retryable ? "yes" : "no"} | ${cell(e.action)} |`);
  return ["| errorCode | status | retryable | client action |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

function stateTable(): string {
  const states = AgentRunState.options;
  const rows = states.map((from) => {
    const to = states.filter((s) => canTransition(from, s));
    return `| \`${from}\` | ${to.length ? to.map((s) => `\`${s}\``).join(", ") : "— (final)"} |`;
  });
  const own = Object.entries(CONTROL_PLANE_TRANSITIONS).map(
    ([from, to]) => `| \`${from}\` (control plane) | ${to.length ? to.map((s) => `\`${s}\``).join(", ") : "— (final)"} |`,
  );
  return ["| from | may become |", "| --- | --- |", ...rows, ...own].join("\n");
}

function commandsSection(): string {
  const summary = [
    "| command | mutating (needs `idempotencyKey`) |",
    "| --- | --- |",
    ...COMMAND_TYPES.map((t) => `| [\`${t}\`](#${t.toLowerCase()}) | ${Commands[t].mutating ? "yes" : "no"} |`),
  ].join("\n");
  const each = COMMAND_TYPES.map((t) => {
    const c = Commands[t];
    return [
      `### ${t}`,
      `Request \`${t}\`, response \`${t}Response\`. Mutating: ${c.mutating ? "**yes**, `idempotencyKey` required" : "no"}.`,
      "Payload:",
      fieldTable(c.payload),
      "Response `data` on success:",
      fieldTable(c.data),
    ].join("\n\n");
  });
  return [summary, ...each].join("\n\n");
}

function eventsSection(): string {
  return EVENT_TYPES.map((t) => [`### ${t}`, "`data`:", fieldTable(Events[t])].join("\n\n")).join("\n\n");
}

/** The whole page; pure, so a test can compare it with the file. */
export function renderProtocolDoc(): string {
  const envelopes: Array<[string, string, z.ZodType]> = [
    ["Request (control plane → agent)", "A command. Mutating commands carry `idempotencyKey`.", RequestEnvelope],
    ["Response (agent → control plane)", "Same `requestId`, type `<type>Response`, a `statusCode` on every response; `error` from the catalog when `success` is false.", ResponseEnvelope],
    ["Event (agent → control plane)", "Written to the agent's outbox before it is sent; `sequence` is per agent and monotonic.", EventEnvelope],
    ["hello (control plane → agent)", "First frame of a session: the agent replays its outbox after `lastAckedSequence`.", HelloFrame],
    ["helloAck (agent → control plane)", "Commands flow only after it.", HelloAckFrame],
    ["ack (control plane → agent)", "Cumulative: every event up to `sequence` is stored.", AckFrame],
  ];
  const parts = [
    "<!-- Generated by shared/scripts/render-protocol-doc.ts: do not edit by hand. -->",
    `<!-- Regenerate with: ${REGENERATE_COMMAND} -->`,
    `# Agent link protocol v${PROTOCOL_VERSION}: reference`,
    "Every message of the link between the control plane and an agent, rendered from the schemas in " +
      "`shared/src/protocol/` and the catalog in `shared/src/errors.ts`. The order of things (enrollment, " +
      "session start, replay, artifact pull) is in [link.md](link.md). JSON text frames of at most " +
      `${MAX_FRAME_BYTES} bytes; artifact bytes travel by HTTP, not on the link.`,
    "## Envelopes",
    ...envelopes.flatMap(([title, text, schema]) => [`### ${title}`, text, fieldTable(schema)]),
    "## Versions",
    `The protocol number is a major: both sides speak exactly one (this build: ${PROTOCOL_VERSION}) and only equal ` +
      "numbers talk. The number changes with any change a peer of the previous build would refuse (the frame schemas " +
      `are strict). The agent sends \`${VERSION_HEADERS.protocol}\` and \`${VERSION_HEADERS.agentVersion}\` ` +
      "headers on the upgrade; `hello` and `helloAck` are read for `protocolVersion` alone before the full schema, " +
      "so a frame of any protocol is understood far enough to refuse it with a reason. A control plane refuses an " +
      `agent of another major by closing with ${CLOSE_CODES.incompatible} and a reason naming the side to upgrade ` +
      "(the agent's status becomes `incompatible`); an agent refuses a `hello` of another major the same way. The " +
      "agent logs the reason as an error and retries at its longest backoff.",
    "| Close code | Meaning |\n|---|---|\n" +
      Object.entries(CLOSE_CODES)
        .map(([name, code]) => `| ${code} | ${name} |`)
        .join("\n"),
    "## Error matrix",
    "Every error, over the link (`ResponseEnvelope.error`, a run's `error`) and over REST " +
      "(`{error: {code, message, retryable, details?, requestId}}` with the status below), carries one of these codes.",
    errorMatrix(),
    "## Run states",
    "The agent enforces these transitions; any other answers `409 INVALID_STATE_TRANSITION`. The control plane " +
      "applies an event to its view only along them. `pending` and `missed` are the control plane's own states and never reach the agent: a scheduled " +
      "firing is recorded `pending` until the agent accepts it, and `missed` when that did not happen within the grace window.",
    stateTable(),
    "## Commands",
    commandsSection(),
    "## Events",
    "Events about a run carry `runId` in the envelope.",
    eventsSection(),
  ];
  return `${parts.join("\n\n")}\n`;
}

/**
 * What a render script does when run: write the page, or with `--check` exit 1 if the file differs
 * from what it renders. Shared by the generated pages (this one, control-plane's docs/api.md).
 */
export function writeOrCheck(path: string, text: string, command: string): void {
  const name = path.slice(path.lastIndexOf("/docs/") + 1);
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current !== text) {
      process.stderr.write(`${name} is stale; run: ${command}\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(path, text);
    process.stderr.write(`wrote ${path}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeOrCheck(PROTOCOL_DOC_PATH, renderProtocolDoc(), REGENERATE_COMMAND);
}
