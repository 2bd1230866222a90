// Text → embeddings: tokenize, cut every row after its pooled (EOS) position — a causal model's
// EOS feature cannot see later tokens — and run the rows packed, each to its own length.

import { EdgeClipError } from "../errors.ts";
import type { FileSet } from "../io/source.ts";
import type { ClipModel } from "../model/clip_model.ts";
import type { ModelHooks } from "../model/hooks.ts";
import type { TextSeq } from "../model/text_model.ts";
import type { ClipTokenizer } from "../tokenizer/mod.ts";
import { l2Normalize, noTower } from "./forward.ts";

/** Options of `clip.embedText`. */
export interface EmbedTextOptions {
  /** L2-normalise each embedding (default true). */
  normalize?: boolean;
  /** Cut texts longer than the context (default true); false throws `input_too_long`. */
  truncate?: boolean;
}

/**
 * Reads a model folder's tokenizer files (vocab.json + merges.txt) and returns a function that
 * builds the tokenizer on first use: parsing the tables costs tens of milliseconds, which an
 * image-only caller should not pay at load. The tokenizer's code (its Unicode and ftfy tables) is
 * imported here too, so a model without a text tower never loads it (measured: ~2.5 MB of RSS).
 */
export async function loadTokenizer(files: FileSet): Promise<() => ClipTokenizer> {
  const [hasVocab, hasMerges] = await Promise.all([
    files.exists("vocab.json"),
    files.exists("merges.txt"),
  ]);
  if (!hasVocab || !hasMerges) {
    throw new EdgeClipError(
      "source_unavailable",
      `${files.label}: text calls need the tokenizer files vocab.json and merges.txt beside the model`,
      { source: files.label },
    );
  }
  const { ClipTokenizer, readResolved, RESOLVED_FILE, resolvedKey } = await import(
    "../tokenizer/mod.ts"
  );
  const [vocab, merges] = await Promise.all([files.bytes("vocab.json"), files.bytes("merges.txt")]);
  // an edgeclip package carries the merges resolved to ids, tied to these two files by hash
  // kept as bytes until the first text call decodes them (as a string they weigh twice as much)
  const resolved = (await files.exists(RESOLVED_FILE))
    ? { bytes: await files.bytes(RESOLVED_FILE), key: await resolvedKey(vocab, merges) }
    : undefined;
  // the files are dropped once parsed (the tokenizer keeps its own tables); they sit in an object,
  // not in variables a closure captures, which would keep them as long as the closure lives
  let read: { vocab: Uint8Array; merges: Uint8Array; resolved?: typeof resolved } | undefined = {
    vocab,
    merges,
    resolved,
  };
  let tok: ClipTokenizer | undefined;
  return () => {
    if (!tok) {
      const { vocab, merges, resolved } = read!;
      tok = ClipTokenizer.fromFiles(
        vocab,
        merges,
        {},
        resolved && readResolved(new TextDecoder().decode(resolved.bytes), resolved.key),
      );
      read = undefined;
    }
    return tok;
  };
}

/** Checks and lists the texts of a call. */
export function textList(texts: string | readonly string[]): string[] {
  const list = typeof texts === "string" ? [texts] : texts;
  if (!Array.isArray(list)) {
    throw new EdgeClipError("invalid_input", "texts must be a string or an array of strings");
  }
  return list as string[];
}

/** Embeds texts: one Float32Array of projectionDim (or hidden size without a projection) each. */
export function embedTexts(
  model: ClipModel,
  tokenizer: ClipTokenizer,
  texts: readonly string[],
  hooks: ModelHooks,
  opts: EmbedTextOptions = {},
): Float32Array[] {
  const text = model.text;
  if (!text) throw noTower("text");
  if (texts.length === 0) return [];
  const batch = tokenizer.encodeBatch(texts, {
    contextLength: text.cfg.maxPositions,
    truncate: opts.truncate ?? true,
  });
  const seqs: TextSeq[] = batch.ids.map((row) => ({
    ids: row.subarray(0, text.poolIndex(row) + 1),
  }));
  const enc = model.encodeText(seqs, hooks);
  const feats = enc.embeds ?? enc.pooled;
  const dim = feats.length / texts.length;
  const out = opts.normalize === false ? feats : l2Normalize(feats, texts.length, dim);
  return Array.from({ length: texts.length }, (_, i) => out.slice(i * dim, (i + 1) * dim));
}
