// Shared loader for tokenizer tests: the real CLIP tables (vocab.json + merges.txt), loaded once
// per test file, from ../shared/data/clip-bpe, else the copy the repository's own demo package
// embeds (so the tokenizer suites run on a clone with nothing beside it).

import { ClipTokenizer } from "../../src/tokenizer/mod.ts";
import { headerLength, parseHeader } from "../../src/io/safetensors.ts";

const ROOT = new URL("../../", import.meta.url);
const path = (rel: string) => decodeURIComponent(new URL(rel, ROOT).pathname);

/** The package that carries the real CLIP vocabulary (models/shapes, trained here). */
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
    const header = parseHeader(json, size, file);
    // format 2 stores the files as U8 tensors, format 1 as metadata strings
    const embedded = (name: string): Uint8Array | undefined => {
      const e = header.entries.get(`edgeclip.file.${name}`);
      if (!e) {
        const text = header.metadata[`edgeclip.file.${name}`];
        return text === undefined ? undefined : new TextEncoder().encode(text);
      }
      const out = new Uint8Array(e.end - e.begin);
      f.seekSync(e.begin, Deno.SeekMode.Start);
      for (let done = 0; done < out.length;) done += f.readSync(out.subarray(done)) ?? out.length;
      return out;
    };
    const vocab = embedded("vocab.json"), merges = embedded("merges.txt");
    if (vocab === undefined || merges === undefined) return null;
    return { vocab, merges, label: file };
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
