import { call, type Api } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";

/**
 * A destination as the operator names it on the command line: its id (`dst_…`) or its name, which
 * the console shows and which is easier to type. An unknown one exits 3 before anything is sent.
 */
export async function destinationOf(api: Api, ref: string): Promise<{ id: string; name: string }> {
  const { items } = await call(api.destinations.$get());
  const found = items.find((d) => d.id === ref) ?? items.find((d) => d.name === ref);
  if (!found) throw new CliError(`No destination ${JSON.stringify(ref)} (holdfast destinations list shows them)`, EXIT.notFound, "DESTINATION_NOT_FOUND");
  return { id: found.id, name: found.name };
}
