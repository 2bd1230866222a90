// `embed`: texts and images → one JSON line per input, in command-line order.

import { parse, UsageError } from "./args.ts";
import { expandPath, isPerFileError, Progress } from "./inputs.ts";
import { MODEL_OPTIONS, openModel } from "./model.ts";
import { printError, printLine, reportFileError } from "./output.ts";

type Item = { text: string } | { file: string };

/** Runs `embed`; returns the exit code. */
export async function embedCommand(args: string[]): Promise<number> {
  const { values, tokens } = parse("embed", args, {
    ...MODEL_OPTIONS,
    text: { type: "string", multiple: true },
    normalize: { type: "boolean" },
    quiet: { type: "boolean" },
  });
  // --text and paths interleave: keep their order from the tokens
  const items: Item[] = [];
  for (const t of tokens ?? []) {
    if (t.kind === "option" && t.name === "text") items.push({ text: t.value ?? "" });
    else if (t.kind === "positional") {
      for (const file of await expandPath(t.value)) items.push({ file });
    }
  }
  if (items.length === 0) {
    throw new UsageError("nothing to embed: give --text T or image paths", "embed");
  }
  const { clip } = await openModel("embed", values);
  const normalize = values.normalize !== false;
  const texts = items.flatMap((i) => ("text" in i ? [i.text] : []));
  const textEmbeds = texts.length ? await clip.embedText(texts, { normalize }) : [];
  const images = items.filter((i) => "file" in i).length;
  const progress = new Progress(images, "embed: images", values.quiet);
  let t = 0, done = 0, failed = 0;
  for (const [index, item] of items.entries()) {
    if ("text" in item) {
      printLine({ index, text: item.text, embedding: Array.from(textEmbeds[t++]) });
      continue;
    }
    try {
      const [e] = await clip.embedImage(item.file, { normalize });
      printLine({ index, file: item.file, embedding: Array.from(e) });
    } catch (e) {
      if (!isPerFileError(e)) throw e;
      reportFileError(item.file, e);
      failed++;
    }
    progress.tick(++done);
  }
  if (failed) printError(`error: ${failed} of ${images} image files could not be embedded`);
  return failed ? 1 : 0;
}
