// The weights of a Hugging Face folder, in the order transformers looks for them:
// model.safetensors; model.safetensors.index.json (shards); pytorch_model.bin (many community
// CLIP fine-tunes have only this); pytorch_model.bin.index.json. Shards and PyTorch archives are
// joined into one safetensors file (io/joined_safetensors.ts) read in place, so every loader sees
// the same thing whatever the folder holds.

import { EdgeClipError } from "../errors.ts";
import type { RandomAccess } from "../io/host.ts";
import { joinParts, type Part } from "../io/joined_safetensors.ts";
import type { FileSet } from "../io/source.ts";
import { fileLabel, readHeader } from "../io/weight_file.ts";

/** The weight file of a Hugging Face folder (the first place looked). */
export const HF_WEIGHTS = "model.safetensors";

/** Where a folder's weights may be, in order of preference. */
export const WEIGHT_FILES = [
  HF_WEIGHTS,
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
] as const;

function bad(file: string, msg: string): never {
  throw new EdgeClipError("model_format", `${file}: ${msg}`, { file });
}

/** The shard files an index names, in order of first mention. */
async function shardsOf(files: FileSet, index: string): Promise<string[]> {
  const label = fileLabel(files, index);
  let map: unknown;
  try {
    map = JSON.parse(await files.text(index))?.weight_map;
  } catch (e) {
    bad(label, `not valid JSON (${(e as Error).message})`);
  }
  if (!map || typeof map !== "object" || Array.isArray(map)) bad(label, "no weight_map object");
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  if (!shards.length) bad(label, "weight_map is empty");
  for (const s of shards) {
    if (typeof s !== "string" || !/^[^/\\]+$/.test(s) || s.startsWith(".")) {
      bad(label, `weight_map names ${JSON.stringify(s)}, not a file beside it`);
    }
  }
  return shards as string[];
}

/** A safetensors shard's tensors (its header read), or a PyTorch archive's. */
async function openPart(files: FileSet, name: string): Promise<Part> {
  const ra: RandomAccess = await files.open(name);
  const label = fileLabel(files, name);
  try {
    if (name.endsWith(".bin")) {
      // the zip reader and unpickler load only for a pytorch_model.bin repo
      const { torchBinTensors } = await import("../io/torch_bin.ts");
      return { ra, label, tensors: await torchBinTensors(ra, label, "model_format") };
    }
    return { ra, label, tensors: [...(await readHeader(ra, label)).entries.values()] };
  } catch (e) {
    ra.close();
    throw e;
  }
}

/** `files`, where `name` opens as the given parts joined into one safetensors file. */
function joined(files: FileSet, name: string, parts: readonly string[]): FileSet {
  return {
    ...files,
    async open(n) {
      if (n !== name) return await files.open(n);
      const opened: Part[] = [];
      try {
        for (const p of parts) opened.push(await openPart(files, p));
      } catch (e) {
        for (const p of opened) p.ra.close();
        throw e;
      }
      return joinParts(opened, fileLabel(files, name));
    },
  };
}

/**
 * The folder's weights as one safetensors file `name` of `files` (a joined view for shards and
 * PyTorch archives), and the files they are read from; undefined when the folder has none of
 * WEIGHT_FILES.
 */
export async function folderWeights(
  files: FileSet,
): Promise<{ files: FileSet; name: string; parts: string[] } | undefined> {
  for (const name of WEIGHT_FILES) {
    if (!(await files.exists(name))) continue;
    if (name === HF_WEIGHTS) return { files, name, parts: [name] };
    const parts = name.endsWith(".index.json") ? await shardsOf(files, name) : [name];
    return { files: joined(files, name, parts), name, parts };
  }
  return undefined;
}
