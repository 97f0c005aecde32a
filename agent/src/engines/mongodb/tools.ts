import type { ErrorCode, HoldfastError } from "@holdfast/shared/protocol";
import type { ToolExit } from "../spawn-tool.js";
import { toolFailure } from "../failure-codes.js";
import { classifyMongoFailure } from "./classify-failure.js";

/** A MongoDB tool's failure: classified by classifyMongoFailure, else `code`; every spelling of the password masked. */
export function mongoToolFailure(code: ErrorCode, what: string, exit: ToolExit, secrets: readonly string[]): HoldfastError {
  return toolFailure(code, what, exit, { secrets, classify: classifyMongoFailure });
}
