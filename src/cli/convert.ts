// `convert --from HF_DIR|PACKAGE --to OUT.safetensors [--towers both|text|vision] [--dtype int8|int4]
// [--adapter DIR --merge] [--classifier LABELS.txt [--template T | --template-preset NAME]]`:
// writes an edgeclip package (int4: 4-bit image tower weights; a classifier package with
// --classifier). The file is written under a temporary
// name and renamed when complete, so a failed conversion never leaves a truncated package behind.

import { EdgeClipError } from "../errors.ts";
import { makeLabelHead } from "../api/label_head.ts";
import { convertClip, type ConvertOptions } from "../convert/mod.ts";
import type { ByteSink } from "../io/safetensors_write.ts";
import { parse, TEMPLATE_OPTIONS, templateFlags, UsageError } from "./args.ts";
import { printError, printLine } from "./output.ts";

/** A sink writing sequentially to an open file. */
function fileSink(f: Deno.FsFile): ByteSink {
  return {
    async write(chunk) {
      for (let o = 0; o < chunk.length;) o += await f.write(chunk.subarray(o));
    },
  };
}

/** An OS error while writing the package, said without the OS's error numbers. */
function cannotWrite(to: string, e: unknown): EdgeClipError {
  const why = e instanceof Deno.errors.NotFound
    ? "its folder does not exist"
    : e instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : e instanceof Deno.errors.IsADirectory
    ? "it is a directory"
    : (e as Error).message.replace(/ \(os error \d+\)/, "");
  return new EdgeClipError("source_unavailable", `cannot write ${to}: ${why}`, { file: to });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false; // absent (to be created) or unreadable (the write will say why)
  }
}

/** Runs the convert command; resolves with the exit code. */
export async function convertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("convert", args, {
    from: { type: "string" },
    to: { type: "string" },
    towers: { type: "string" },
    dtype: { type: "string" },
    adapter: { type: "string", multiple: true },
    merge: { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
    classifier: { type: "string" },
    ...TEMPLATE_OPTIONS,
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, "convert");
  }
  if (!values.from || !values.to) throw new UsageError("--from and --to are required", "convert");
  // refused before any work: the rename at the end would fail on a directory
  if (values.to.endsWith("/") || (await isDirectory(values.to))) {
    throw new UsageError(
      `--to ${JSON.stringify(values.to)} is a directory; give the package file to write ` +
        `(e.g. ${values.to.replace(/\/+$/, "")}/model.safetensors)`,
      "convert",
    );
  }
  if (values.dtype !== undefined && values.dtype !== "int8" && values.dtype !== "int4") {
    throw new UsageError(
      "--dtype: packages are int8 or int4 (f32 runs the Hugging Face folder)",
      "convert",
    );
  }
  // omitted: both for a folder, the package's own for a package
  const towers = values.towers;
  if (towers !== undefined && towers !== "both" && towers !== "text" && towers !== "vision") {
    throw new UsageError("--towers must be both, text or vision", "convert");
  }
  const classifier = await classifierFlags(values);
  if (!classifier && (values.adapter?.length ?? 0) > 0 !== Boolean(values.merge)) {
    throw new UsageError(
      "--adapter DIR needs --merge (a package holds merged LoRA/IA3 weights; load other adapters " +
        "at run time)",
      "convert",
    );
  }
  const tmp = `${values.to}.partial-${Deno.pid}`;
  let f: Deno.FsFile;
  try {
    f = await Deno.open(tmp, { write: true, create: true, truncate: true });
  } catch (e) {
    throw cannotWrite(values.to, e);
  }
  try {
    // LoRA-family adapters are merged into the f32 weights before they are quantized
    const report = await convertClip(values.from, fileSink(f), {
      towers: classifier ? undefined : towers,
      dtype: values.dtype,
      ...(classifier ? { classifier } : { adapters: values.adapter }),
    });
    f.close();
    try {
      await Deno.rename(tmp, values.to);
    } catch (e) {
      throw cannotWrite(values.to, e);
    }
    // rows with outputs: a package source's scale and sum rows go with its weight's
    const count = (a: string) => report.rows.filter((r) => r.action === a && r.outputs.length);
    const int8 = count("int8").length, int4 = count("int4").length;
    if (!values.quiet) {
      printError(
        `wrote ${values.to}: ${
          (report.bytes / 2 ** 20).toFixed(1)
        } MiB, ${report.tensors} tensors ` +
          `(${int8} source weights int8${int4 ? `, ${int4} int4` : ""}), towers ${report.towers}${
            report.merged.length ? `, merged ${report.merged.join(", ")}` : ""
          }${report.labels ? `, ${report.labels} labels` : ""}, ${(report.ms / 1000).toFixed(1)} s`,
      );
    }
    printLine({
      package: values.to,
      bytes: report.bytes,
      tensors: report.tensors,
      towers: report.towers,
      source_sha256: report.sourceSha256,
      ...(report.merged.length ? { merged: report.merged } : {}),
      ...(report.labels ? { labels: report.labels } : {}),
      ms: Math.round(report.ms),
    });
    return 0;
  } catch (e) {
    try {
      f.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * `--classifier LABELS.txt` with its templates and the `--adapter` folders (made into the label
 * head on the opened model); undefined without --classifier.
 */
async function classifierFlags(values: {
  classifier?: string;
  template?: string[];
  "template-preset"?: string;
  adapter?: string[];
  towers?: string;
}): Promise<ConvertOptions["classifier"]> {
  const template = templateFlags("convert", values);
  if (values.classifier === undefined) {
    if (template !== undefined) {
      throw new UsageError("--template and --template-preset go with --classifier", "convert");
    }
    return undefined;
  }
  if (values.towers !== undefined && values.towers !== "vision") {
    throw new UsageError(
      "--classifier writes the vision tower only: leave out --towers",
      "convert",
    );
  }
  let text: string;
  try {
    text = await Deno.readTextFile(values.classifier);
  } catch (e) {
    throw new EdgeClipError(
      "source_unavailable",
      `cannot read the labels file ${values.classifier}: ${(e as Error).message}`,
      { file: values.classifier },
    );
  }
  const labels = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (labels.length === 0) {
    throw new UsageError(
      `--classifier ${values.classifier} has no labels (one per line)`,
      "convert",
    );
  }
  const adapters = values.adapter ?? [];
  return { labelHead: (loaded) => makeLabelHead(loaded, { labels, template, adapters }) };
}
