// Flag parsing for the CLI (node:util parseArgs; @std is unreachable) and the usage texts.
// Bad flags become UsageError, which main.ts turns into exit code 2.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { TEMPLATE_PRESET_NAMES, TEMPLATE_PRESETS } from "../api/templates.ts";
import { DEFAULT_LIMITS as L } from "../server/handler.ts";

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

/** Edit distance (insert, delete, substitute) between two short strings. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The flag of `flags` nearest to a mistyped one, if it is near enough to be a likely typo. */
export function closestFlag(flag: string, flags: readonly string[]): string | undefined {
  if (!flag.startsWith("--")) return undefined; // -x: any one-letter flag is "near"
  let best: string | undefined, bestD = Infinity;
  for (const f of flags) {
    const d = distance(flag.toLowerCase(), f);
    if (d < bestD) [best, bestD] = [f, d];
  }
  return bestD <= Math.max(2, Math.floor(flag.length / 3)) ? best : undefined;
}

/** node:util's parse errors in our words (its unknown-option text has an unbalanced quote). */
function usageText(e: Error & { code?: string }, options: Options): string {
  const flags = ["--help", "-h"];
  for (const [name, o] of Object.entries(options)) {
    flags.push(`--${name}`);
    if (o.type === "boolean") flags.push(`--no-${name}`);
    if (o.short) flags.push(`-${o.short}`);
  }
  const unknown = /^Unknown option '([^']*)'/.exec(e.message);
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const near = closestFlag(unknown[1], flags);
    return near
      ? `unknown flag ${unknown[1]} (did you mean ${near}?)`
      : `unknown flag ${unknown[1]} (an argument that starts with "-" goes after "--")`;
  }
  const missing = /^Option '(-[^ ']+)(?: <value>)?' argument missing/.exec(e.message);
  if (missing) return `${missing[1]} needs a value`;
  const noValue = /^Option '(-[^ ']+)' does not take an argument/.exec(e.message);
  if (noValue) return `${noValue[1]} takes no value`;
  return e.message;
}

/** parseArgs with positionals and tokens; TypeErrors become UsageError, --help HelpRequested. */
export function parse<O extends Options>(command: string, args: string[], options: O) {
  const all = { help: { type: "boolean", short: "h" }, ...options } as const;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: all,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    throw new UsageError(usageText(e as Error, all), command);
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

/**
 * The `--dtype` flag; undefined when omitted, so the model runs what its file holds (a Hugging
 * Face folder f32, an edgeclip package as converted).
 */
export function dtypeFlag(
  command: string,
  v: string | undefined,
): "f32" | "int8" | "int4" | undefined {
  if (v === undefined || v === "f32" || v === "int8" || v === "int4") return v;
  throw new UsageError(`--dtype must be f32, int8 or int4, not ${JSON.stringify(v)}`, command);
}

/** Flags naming classify's templates (classify, and convert --classifier). */
export const TEMPLATE_OPTIONS = {
  template: { type: "string", multiple: true },
  "template-preset": { type: "string" },
} as const;

/**
 * The `template` option of `--template T`… or `--template-preset NAME` (one kind only): the
 * templates, the preset's name, or undefined for the default.
 */
export function templateFlags(
  command: string,
  values: { template?: string[]; "template-preset"?: string },
): string | string[] | undefined {
  const templates = values.template ?? [];
  for (const t of templates) {
    if (!t.includes("{}")) {
      throw new UsageError(`--template ${JSON.stringify(t)} has no {} for the label`, command);
    }
  }
  const preset = values["template-preset"];
  if (preset === undefined) return templates.length ? templates : undefined;
  if (templates.length) {
    throw new UsageError("give --template or --template-preset, not both", command);
  }
  if (!TEMPLATE_PRESETS.has(preset)) {
    throw new UsageError(
      `--template-preset must be one of ${TEMPLATE_PRESET_NAMES.join(", ")}, not ${
        JSON.stringify(preset)
      }`,
      command,
    );
  }
  return preset;
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
  `  --model M         model folder, file, URL (Hugging Face CLIP layout or edgeclip package) or
                    Hub id ("openai/clip-vit-base-patch32": downloaded once into the cache;
                    $HF_TOKEN for gated repos, $HF_ENDPOINT for a mirror)
  --revision R      branch, tag or commit of a Hub id (default main)
  --cache-dir DIR   download cache (default $EDGECLIP_CACHE, else ~/.cache/edgeclip)
  --offline         use the cache only, never the network
  --dtype D         f32, int8 or int4 (default: what the model file holds — f32 for a
                    Hugging Face folder, as converted for an edgeclip package; int8 or int4
                    on a folder quantizes at load; int4: 4-bit image tower, int8 text)
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
  convert    HF checkpoint → edgeclip package (int8 or int4)
  serve      HTTP server: /v1/embeddings, /v1/classify, /healthz
  demo       classify sample images with the embedded shapes CLIP, with and without an adapter

Run a command with --help for its flags. Exit codes: 0 ok, 1 model or input error, 2 usage error.`,
  embed: `usage: deno task embed --model M [--adapter DIR]... (--text T | IMAGE_FILE | DIR)...

Prints one JSON line per input, in order: {"index", "text"|"file", "embedding"}.
Directories are searched recursively for .png .jpg .jpeg .gif .bmp .webp files.

${MODEL_FLAGS}
  --text T          a text to embed (repeatable)
  --no-normalize    raw projected features instead of L2-normalised ones
  --quiet           no progress on stderr`,
  classify: `usage: deno task classify --model M IMAGE|DIR... --labels cat,dog
  [--template T]... | [--template-preset NAME]
       deno task classify --model CLASSIFIER.safetensors IMAGE|DIR...

Prints one JSON line per image: {"file", "results": [{"label", "score"}]}, best first.

${MODEL_FLAGS}
  --labels L        comma-separated labels (required unless the model is a classifier package:
                    then its own labels, embedded at conversion, are scored)
  --template T      prompt with {} for the label (repeatable: prompt ensemble;
                    default "a photo of a {}.")
  --template-preset NAME  a prompt ensemble by name: clip-imagenet-80 (the CLIP paper's 80
                    ImageNet templates) or clip-imagenet-7 (its best 7)
  --top-k K         keep the K best labels
  --quiet           no progress on stderr`,
  serve: `usage: deno task serve --model M [--port 8000] [--host 127.0.0.1] [--cors ORIGINS]

${MODEL_FLAGS}
  --port P                port (default 8000; 0 picks a free one)
  --host H                interface (default 127.0.0.1; 0.0.0.0 for all)
  --name N                model name reported by /healthz and accepted in "model" (default:
                          the Hub id in config.json's _name_or_path, else the folder or file
                          name without .safetensors)
  --cors ORIGINS          let browser pages from these origins call the API: "*" or a
                          comma-separated list (https://app.example.com,http://localhost:5173)

Limits (the defaults keep one request under ~48 MB of transient memory; see README):
  --max-body-bytes B      largest request body (default ${L.maxBodyBytes}, 6 MiB)
  --max-image-bytes B     largest encoded image (default ${L.maxImageBytes}, 4 MiB)
  --max-pixels N          largest decoded image (default ${L.maxPixels}, 2048×2048)
  --max-batch N           most inputs per embeddings request (default ${L.maxBatch})
  --max-labels N          most labels per classify request (default ${L.maxLabels})
  --max-prompts N         most labels × templates per classify request (default ${L.maxPrompts})
  --max-text-chars N      longest text, label or template (default ${L.maxTextChars})
  --max-queue N           requests waiting for the model before 503 (default ${L.maxQueue})
  --allow-remote-images   let clients send http(s) image URLs for the server to fetch
  --remote-timeout-ms T   time limit for fetching one remote image (default ${L.remoteTimeoutMs})`,
  demo: `usage: deno task demo [--model M --labels A,B,...] [--images DIR] [--adapter DIR]...

Zero-shot classification of a few images, without and then with adapters, and a text search.
By default: the embedded shapes CLIP (models/shapes/clip-shapes-int8.safetensors, trained on
synthetic shapes), its sample images (models/shapes/samples) and its hexagon adapter.

${MODEL_FLAGS}
  --labels A,B,...  the labels to classify with (required with --model)
  --images DIR      images to use (default: models/shapes/samples; a file name that spells a
                    label, e.g. 3_blue_hexagon.png, is marked right or wrong)`,
  convert:
    `usage: deno task convert --from SRC --to OUT.safetensors [--towers T] [--dtype D] [--adapter DIR]... [--merge]

Writes an edgeclip package: one .safetensors file holding the int8 model, its config and its
tokenizer and preprocessor files, which loadClip and every command load directly (--model
OUT.safetensors). Prints one JSON line describing it; a summary goes to stderr.

  --from SRC        Hugging Face CLIP folder (config.json + model.safetensors + tokenizer files),
                    or an edgeclip package to re-quantize (e.g. int8 → int4; no --adapter)
  --to OUT          the package file to write (written under a temporary name, then renamed;
                    an existing file is replaced, a directory is refused)
  --towers T        both (default), text or vision: keep one tower for a smaller package
  --dtype D         the package's weight format: int8 (default) or int4 (4-bit image tower
                    weights where they hold accuracy, int8 text: a smaller, lighter image
                    model); f32 runs the folder itself
  --adapter DIR     a LoRA or IA3 adapter folder to fold into the weights before quantizing
                    (repeatable; needs --merge)
  --merge           merge the --adapter folders (other adapter kinds load at run time)
  --quiet, -q       no summary on stderr

Classifier packages (the image tower and a fixed label set; no text tower at run time):
  --classifier LABELS.txt  one label per line (blank lines skipped): their embeddings are made
                    now, with the text tower, the templates and the --adapter folders (LoRA-family
                    ones merged, others active for the labels and allowed on the text side only);
                    --from may then also be an edgeclip package with a text tower
  --template T      prompt with {} for the label (repeatable: prompt ensemble)
  --template-preset NAME  clip-imagenet-80 or clip-imagenet-7`,
};

/** The usage text of `command` (the main usage for an unknown one; own entries only). */
export function usage(command: string): string {
  return Object.hasOwn(USAGE, command) ? USAGE[command] : USAGE.main;
}
