import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { type BlackoutWindow, parseBlackoutWindow, validationError } from "@holdfast/shared";
import type { z } from "zod";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";

/**
 * Flags or a file checked against the shared schema the API checks with, before anything is sent:
 * a mistake is a usage error (exit 2) naming the field, as the console's form would show it.
 */
export function checked<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(validationError(result.error, what).message, EXIT.usage, "VALIDATION_FAILED");
  return result.data;
}

/** A JSON file named by a flag (`--file config.json`), or a usage error saying what is wrong with it. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not JSON: ${(err as Error).message}`, EXIT.usage);
  }
}

/** A `--file` body: a JSON object whose fields the flags given as well override. */
export function readJsonObject(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  const value = readJsonFile(path);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CliError(`${path} must hold a JSON object`, EXIT.usage);
  return value as Record<string, unknown>;
}

/** Commander's parser for an integer flag (`--port 5432`): a usage error otherwise. */
export function intFlag(value: string): number {
  // Commander reports its own error type as a usage error (exit 2).
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number");
  return Number(value);
}

/** Commander's parser for a decimal flag (`--transfer-cap 0.5`): a usage error otherwise; the schema checks its range. */
export function numberFlag(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError("must be a number such as 5 or 0.5");
  return Number(value);
}

/** Commander's parser for a repeatable flag (`--tag a --tag b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Drops the keys whose value is undefined: a PATCH sends only what a flag set. */
export function defined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Commander's parser for a repeatable `--blackout "mon,tue 01:00-05:00"`: the windows so far, or a usage error. */
export function blackoutFlag(value: string, previous: BlackoutWindow[] | false = []): BlackoutWindow[] {
  try {
    return [...(previous || []), parseBlackoutWindow(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
