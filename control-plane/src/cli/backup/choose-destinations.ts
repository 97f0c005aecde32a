import { type Api, call } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";

/**
 * Where a `backup run` without `--destination` delivers: the one destination set every schedule of
 * the datasource uses, else the only destination there is (what the console fills in), else it asks
 * for `--destination` naming the choices.
 */
export async function chooseDestinations(api: Api, datasourceId: string, given: readonly string[]): Promise<string[]> {
  if (given.length > 0) return [...new Set(given)];
  const [{ items: schedules }, { items: destinations }] = await Promise.all([call(api.schedules.$get()), call(api.destinations.$get())]);
  const sets = new Set(schedules.filter((s) => s.datasourceId === datasourceId).map((s) => [...s.destinationIds].sort().join(",")));
  if (sets.size === 1) return [...sets][0]!.split(",");
  if (destinations.length === 1) return [destinations[0]!.id];
  if (destinations.length === 0) throw new CliError("There is no destination to deliver to: add one first (holdfast destinations create)", EXIT.usage);
  const choices = destinations.map((d) => `${d.id} (${d.name})`).join(", ");
  throw new CliError(`Which destination? Give --destination (one or more of: ${choices})`, EXIT.usage);
}
