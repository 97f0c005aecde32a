import type { AgentStatus } from "@holdfast/shared";
import { expectTypeOf } from "vitest";
import { type Answer, api } from "./client.js";

// Checked by tsc (npm run typecheck), never run: the console's calls carry the control plane's types,
// so a page that reads a field the API does not send, or sends a wrong body, fails to compile.
type Agents = Answer<Awaited<ReturnType<typeof api.agents.$get>>>;
expectTypeOf<Agents["items"][number]["status"]>().toEqualTypeOf<AgentStatus>();
expectTypeOf<Agents["items"][number]["lastSeenAt"]>().toEqualTypeOf<string | null>();
// @ts-expect-error a revoke names its agent
void api.agents[":id"].revoke.$post({});
// @ts-expect-error no such route
void api.agentz.$get();
