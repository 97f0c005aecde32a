import { Codec, PROTOCOL_VERSION, type CommandData } from "@holdfast/shared/protocol";
import type { EngineRegistry } from "../engines/types.js";
import { codecAvailable } from "../runs/preflight.js";
import { AGENT_VERSION } from "../version.js";

/**
 * capabilities: what this agent speaks and what this host can run: each engine with its tool's
 * version (null: the tool is not installed here), and the codecs whose tools answer.
 */
export async function describeCapabilities(engines: EngineRegistry): Promise<CommandData<"capabilities">> {
  const [engineList, codecs] = await Promise.all([
    Promise.all(
      Object.values(engines).map(async (engine) => {
        const toolVersion = await engine.toolVersion();
        return { engine: engine.engine, available: toolVersion !== null, toolVersion };
      }),
    ),
    Promise.all(Codec.options.map(async (codec) => ((await codecAvailable(codec)) ? [codec] : []))),
  ]);
  return { protocolVersion: PROTOCOL_VERSION, agentVersion: AGENT_VERSION, engines: engineList, codecs: codecs.flat() };
}
