// The edgeclip command line: `deno task cli <command> …` (and the embed/classify/serve/demo tasks).
// The one place that turns errors into exit codes: 0 ok, 1 model or input error, 2 usage error.

import { EdgeClipError } from "../errors.ts";
import { HelpRequested, USAGE, usage, UsageError } from "./args.ts";
import { classifyCommand } from "./classify.ts";
import { demoCommand } from "./demo.ts";
import { embedCommand } from "./embed.ts";
import { printError, printText } from "./output.ts";
import { serveCommand } from "./serve.ts";

type Command = (args: string[]) => Promise<number>;

/**
 * `convert` lives in convert.ts (its own engineer). It must export
 * `convertCommand(args: string[]): Promise<number>` and throw UsageError for bad flags. Loaded
 * on demand so that the other commands work in a build without it.
 */
async function convertCommand(args: string[]): Promise<number> {
  const url = new URL("./convert.ts", import.meta.url);
  try {
    Deno.statSync(url);
  } catch {
    throw new EdgeClipError(
      "runtime",
      "the convert command is not available in this build (src/cli/convert.ts is missing)",
    );
  }
  const mod = await import(url.href);
  if (typeof mod.convertCommand !== "function") {
    throw new EdgeClipError("runtime", "src/cli/convert.ts does not export convertCommand");
  }
  return await mod.convertCommand(args);
}

const COMMANDS: Record<string, Command> = {
  embed: embedCommand,
  classify: classifyCommand,
  convert: convertCommand,
  serve: serveCommand,
  demo: demoCommand,
};

/** Runs the command line `argv` (without the program name); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    (name === undefined ? printError : printText)(USAGE.main);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    printError(`error: unknown command ${JSON.stringify(name)}\n\n${USAGE.main}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (e instanceof HelpRequested) {
      printText(usage(e.command));
      return 0;
    }
    if (e instanceof UsageError) {
      printError(`error: ${e.message}\n\n${usage(e.command ?? name)}`);
      return 2;
    }
    if (e instanceof Deno.errors.BrokenPipe) return 0; // the reader stopped (`| head`)
    if (e instanceof EdgeClipError) {
      printError(`error: ${e.message} [${e.code}]`);
      return 1;
    }
    // a bug, not bad input: the message, and the stack only when asked for
    let debug: string | undefined;
    try {
      debug = Deno.env.get("EDGECLIP_DEBUG");
    } catch { /* no --allow-env: no debug output */ }
    printError(`error: ${(e as Error)?.message ?? String(e)}`);
    if (debug && e instanceof Error && e.stack) printError(e.stack);
    else printError("(set EDGECLIP_DEBUG=1 for details)");
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
