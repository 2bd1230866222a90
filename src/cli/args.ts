// Flag parsing for the CLI (node:util parseArgs; @std is unreachable) and the usage texts.
// Bad flags become UsageError, which main.ts turns into exit code 2.

import { parseArgs, type ParseArgsConfig } from "node:util";

/** A command line that cannot be run as written (exit code 2). */
export class UsageError extends Error {
  /** The command whose usage to print, if any. */
  readonly command?: string;
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** `--help` was given: main.ts prints the command's usage and exits 0. */
export class HelpRequested extends Error {
  readonly command: string;
  constructor(command: string) {
    super(`help for ${command}`);
    this.name = "HelpRequested";
    this.command = command;
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with positionals and tokens; TypeErrors become UsageError, --help HelpRequested. */
export function parse<O extends Options>(command: string, args: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message, command);
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested(command);
  return parsed;
}

/** A flag value as a positive integer (or 0 when `allowZero`). */
export function intFlag(
  command: string,
  name: string,
  v: string | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || (n === 0 && !allowZero)) {
    throw new UsageError(
      `--${name} must be a ${allowZero ? "non-negative" : "positive"} integer`,
      command,
    );
  }
  return n;
}

/** The `--dtype` flag. */
export function dtypeFlag(command: string, v: string | undefined): "f32" | "int8" {
  if (v === undefined || v === "f32" || v === "int8") return v ?? "f32";
  throw new UsageError(`--dtype must be f32 or int8, not ${JSON.stringify(v)}`, command);
}

/** The `--int8-precision` flag. */
export function precisionFlag(
  command: string,
  v: string | undefined,
): "balanced" | "fast" | "high" {
  if (v === undefined || v === "balanced" || v === "fast" || v === "high") return v ?? "balanced";
  throw new UsageError(
    `--int8-precision must be balanced, fast or high, not ${JSON.stringify(v)}`,
    command,
  );
}

const MODEL_FLAGS =
  `  --model M         model folder, file or URL (Hugging Face CLIP layout or edgeclip package)
  --dtype D         f32 (default) or int8
  --int8-precision P  balanced (default), fast (text ~1.25× faster, less exact) or high (12-bit
                    activations everywhere); see loadClip's int8Precision
  --adapter DIR     load an adapter folder saved by the adapters library and activate it`;

/** Usage text per command. */
export const USAGE: Record<string, string> = {
  main: `edgeclip: CLIP with adapters on a CPU

usage: deno task cli <command> [flags]

commands:
  embed      texts and images → embeddings as JSON lines
  classify   zero-shot classification of images
  convert    HF checkpoint → edgeclip package (int8)
  serve      HTTP server: /v1/embeddings, /v1/classify, /healthz
  demo       embed and classify on the default (tiny, random) model

Run a command with --help for its flags. Exit codes: 0 ok, 1 model or input error, 2 usage error.`,
  embed: `usage: deno task embed --model M [--adapter DIR]... (--text T | IMAGE_FILE | DIR)...

Prints one JSON line per input, in order: {"index", "text"|"file", "embedding"}.
Directories are searched recursively for .png .jpg .jpeg .gif .bmp .webp files.

${MODEL_FLAGS}
  --text T          a text to embed (repeatable)
  --no-normalize    raw projected features instead of L2-normalised ones
  --quiet           no progress on stderr`,
  classify: `usage: deno task classify --model M IMAGE|DIR... --labels cat,dog [--template T]...

Prints one JSON line per image: {"file", "results": [{"label", "score"}]}, best first.

${MODEL_FLAGS}
  --labels L        comma-separated labels (required)
  --template T      prompt with {} for the label (repeatable: prompt ensemble;
                    default "a photo of a {}.")
  --template-preset NAME  a prompt ensemble by name: clip-imagenet-80 (the CLIP paper's 80
                    ImageNet templates) or clip-imagenet-7 (its best 7)
  --top-k K         keep the K best labels
  --quiet           no progress on stderr`,
  serve: `usage: deno task serve --model M [--port 8000] [--host 127.0.0.1]

${MODEL_FLAGS}
  --port P                port (default 8000; 0 picks a free one)
  --host H                interface (default 127.0.0.1; 0.0.0.0 for all)
  --name N                model name reported and accepted by the API (default: folder name)
  --max-body-bytes B      largest request body (default 16777216)
  --max-batch N           most inputs per embeddings request (default 64)
  --max-queue N           requests waiting for the model before 503 (default 16)
  --allow-remote-images   let clients send http(s) image URLs for the server to fetch`,
  demo: `usage: deno task demo [--model M] [--images DIR]

Embeds a few texts and images, prints their similarities and classifies one image.
Without --model it runs the tiny golden test model ($CLIP_GOLDEN_DIR/clip/model, default
../shared/golden): its weights are random, so its scores mean nothing.

${MODEL_FLAGS}
  --images DIR      images to use (default: the golden images folder)`,
  convert:
    `usage: deno task cli convert --from HF_DIR --to OUT.safetensors [--dtype int8] [--towers both|text|vision] [--adapter DIR --merge]...`,
};

/** The usage text of `command` (the main usage for an unknown one; own entries only). */
export function usage(command: string): string {
  return Object.hasOwn(USAGE, command) ? USAGE[command] : USAGE.main;
}
