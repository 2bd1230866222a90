// `classify`: zero-shot labels for image files, one JSON line per image.

import { intFlag, parse, TEMPLATE_OPTIONS, templateFlags, UsageError } from "./args.ts";
import { expandPath, isPerFileError, Progress } from "./inputs.ts";
import { MODEL_OPTIONS, openModel } from "./model.ts";
import { printError, printLine, reportFileError } from "./output.ts";

/** Runs `classify`; returns the exit code. */
export async function classifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("classify", args, {
    ...MODEL_OPTIONS,
    labels: { type: "string" },
    ...TEMPLATE_OPTIONS,
    "top-k": { type: "string" },
    quiet: { type: "boolean" },
  });
  // omitted: a classifier package's own labels (checked once the model is open)
  const labels = values.labels?.split(",").map((l) => l.trim());
  if (labels?.some((l) => l.length === 0)) {
    throw new UsageError(
      `--labels has an empty label: ${JSON.stringify(values.labels)}`,
      "classify",
    );
  }
  const template = templateFlags("classify", values);
  if (!labels && template !== undefined) {
    throw new UsageError("--template and --template-preset go with --labels", "classify");
  }
  const topK = intFlag("classify", "top-k", values["top-k"], 0);
  if (positionals.length === 0) throw new UsageError("no images to classify", "classify");
  const files: string[] = [];
  for (const p of positionals) files.push(...(await expandPath(p)));
  const { clip } = await openModel("classify", values);
  if (!labels && !clip.labels) {
    throw new UsageError(
      "--labels is required (e.g. --labels cat,dog): this model is not a classifier package",
      "classify",
    );
  }
  const progress = new Progress(files.length, "classify: images", values.quiet);
  let failed = 0;
  for (const [i, file] of files.entries()) {
    try {
      const results = await clip.classify(file, labels, {
        template,
        topK: topK || undefined,
      });
      printLine({ file, results });
    } catch (e) {
      if (!isPerFileError(e)) throw e;
      reportFileError(file, e);
      failed++;
    }
    progress.tick(i + 1);
  }
  if (failed) printError(`error: ${failed} of ${files.length} images could not be classified`);
  return failed ? 1 : 0;
}
