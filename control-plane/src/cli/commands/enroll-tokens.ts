import type { Command } from "commander";

/** `holdfast enroll-tokens …`: to be built (issue 15). */
export function registerEnrollTokensCommands(program: Command): void {
  void program;
}
