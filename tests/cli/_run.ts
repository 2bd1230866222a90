// Runs the CLI as a subprocess (Deno.execPath()), as a user would through `deno task`.

import { goldenDir } from "../_util/golden.ts";
import { run } from "../_util/process.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
export const MAIN = `${ROOT}src/cli/main.ts`;

/**
 * The flags the deno.json tasks give: their permissions, and --no-npm. The CLI must need no npm
 * package (a fresh clone has no node_modules/); the suite runs with the tools installed, so only
 * this flag makes an npm import in the CLI fail here.
 */
export const TASK_FLAGS = [
  "--no-npm",
  "--allow-read",
  "--allow-env",
  "--allow-net",
  "--allow-write",
];

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno run <flags> src/cli/main.ts ...args` with CLIP_GOLDEN_DIR set; collects the output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return run(Deno.execPath(), ["run", "--quiet", ...TASK_FLAGS, MAIN, ...args], {
    env: { CLIP_GOLDEN_DIR: goldenDir(), NO_COLOR: "1", ...env },
    cwd: ROOT,
  });
}

/** A scratch folder under the repository's git-ignored tmp/ (tests may write only under .). */
export async function scratchDir(): Promise<string> {
  await Deno.mkdir(`${ROOT}tmp`, { recursive: true });
  return await Deno.makeTempDir({ dir: `${ROOT}tmp`, prefix: "cli_test_" });
}

/** Fails when output looks like a stack trace. */
export function noStack(text: string): boolean {
  return !/^\s+at .+:\d+:\d+/m.test(text);
}
