// `classify`: zero-shot labels for image files, one JSON line per image.

import { TEMPLATE_PRESET_NAMES, TEMPLATE_PRESETS } from "../api/templates.ts";
import { intFlag, parse, UsageError } from "./args.ts";
import { expandPath, isPerFileError, Progress } from "./inputs.ts";
import { MODEL_OPTIONS, openModel } from "./model.ts";
import { printError, printLine, reportFileError } from "./output.ts";

/** Runs `classify`; returns the exit code. */
export async function classifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("classify", args, {
    ...MODEL_OPTIONS,
    labels: { type: "string" },
    template: { type: "string", multiple: true },
    "template-preset": { type: "string" },
    "top-k": { type: "string" },
    quiet: { type: "boolean" },
  });
  if (values.labels === undefined) {
    throw new UsageError("--labels is required (e.g. --labels cat,dog)", "classify");
  }
  const labels = values.labels.split(",").map((l) => l.trim());
  if (labels.some((l) => l.length === 0)) {
    throw new UsageError(
      `--labels has an empty label: ${JSON.stringify(values.labels)}`,
      "classify",
    );
  }
  const templates = values.template ?? [];
  for (const t of templates) {
    if (!t.includes("{}")) {
      throw new UsageError(`--template ${JSON.stringify(t)} has no {} for the label`, "classify");
    }
  }
  const preset = values["template-preset"];
  if (preset !== undefined) {
    if (templates.length) {
      throw new UsageError("give --template or --template-preset, not both", "classify");
    }
    if (!TEMPLATE_PRESETS.has(preset)) {
      throw new UsageError(
        `--template-preset must be one of ${TEMPLATE_PRESET_NAMES.join(", ")}, not ${
          JSON.stringify(preset)
        }`,
        "classify",
      );
    }
  }
  const topK = intFlag("classify", "top-k", values["top-k"], 0);
  if (positionals.length === 0) throw new UsageError("no images to classify", "classify");
  const files: string[] = [];
  for (const p of positionals) files.push(...(await expandPath(p)));
  const { clip } = await openModel("classify", values);
  const progress = new Progress(files.length, "classify: images", values.quiet);
  let failed = 0;
  for (const [i, file] of files.entries()) {
    try {
      const results = await clip.classify(file, labels, {
        template: preset ?? (templates.length ? templates : undefined),
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
