// Text → ids for CLIP: the tokenizer and its text clean-up. Knows nothing of models.

export {
  ClipTokenizer,
  type ClipTokenizerOptions,
  type EncodedBatch,
  MAX_SCAN_CHARS,
  type TokenizeOptions,
} from "./clip_tokenizer.ts";
export { readResolved, RESOLVED_FILE, resolvedKey, resolveMergesFile } from "./resolved.ts";
export { basicClean, clipNormalize, whitespaceClean } from "./clean/clean.ts";
export { fixText } from "./clean/ftfy.ts";
export { pyHtmlUnescape } from "./clean/html.ts";
