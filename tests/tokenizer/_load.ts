// Shared loader for tokenizer tests: the real CLIP tables (vocab.json + merges.txt), loaded once
// per test file, from ../shared/data/clip-bpe, else the copy the repository's own demo package
// embeds in its metadata (so the tokenizer suites run on a clone with nothing beside it).

import { ClipTokenizer } from "../../src/tokenizer/mod.ts";
import { headerLength, parseHeader } from "../../src/io/safetensors.ts";

const ROOT = new URL("../../", import.meta.url);
const path = (rel: string) => decodeURIComponent(new URL(rel, ROOT).pathname);

/** The package whose metadata carries the real CLIP vocabulary (models/shapes, trained here). */
export const DEMO_PACKAGE = path("models/shapes/clip-shapes-int8.safetensors");

export interface BpeFiles {
  readonly vocab: Uint8Array;
  readonly merges: Uint8Array;
  /** Where they came from. */
  readonly label: string;
}

function fromFolder(dir: string): BpeFiles | null {
  try {
    return {
      vocab: Deno.readFileSync(`${dir}/vocab.json`),
      merges: Deno.readFileSync(`${dir}/merges.txt`),
      label: dir,
    };
  } catch {
    return null;
  }
}

/** The embedded files of an edgeclip package: only its header is read. */
function fromPackage(file: string): BpeFiles | null {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file);
  } catch {
    return null;
  }
  try {
    const size = f.statSync().size;
    const first = new Uint8Array(8);
    f.readSync(first);
    const json = new Uint8Array(headerLength(first, size, file));
    for (let done = 0; done < json.length;) done += f.readSync(json.subarray(done)) ?? json.length;
    const meta = parseHeader(json, size, file).metadata;
    const vocab = meta["edgeclip.file.vocab.json"], merges = meta["edgeclip.file.merges.txt"];
    if (vocab === undefined || merges === undefined) return null;
    const enc = new TextEncoder();
    return { vocab: enc.encode(vocab), merges: enc.encode(merges), label: file };
  } finally {
    f.close();
  }
}

let files: BpeFiles | null | undefined;

/** The real CLIP tables, or null when neither place has them. */
export function bpeFiles(): BpeFiles | null {
  if (files !== undefined) return files;
  return (files = fromFolder(path("../shared/data/clip-bpe")) ?? fromPackage(DEMO_PACKAGE));
}

let tok: ClipTokenizer | undefined;

/** The real CLIP tokenizer (shared instance); throws when no tables are found. */
export function clipTokenizer(): ClipTokenizer {
  if (tok) return tok;
  const f = bpeFiles();
  if (!f) {
    throw new Error(
      `no CLIP vocabulary: neither ../shared/data/clip-bpe nor ${DEMO_PACKAGE} is present`,
    );
  }
  return (tok = ClipTokenizer.fromFiles(f.vocab, f.merges));
}
