// int8 loads of Hub repos through the download cache: the first `dtype: "int8"` load of an f32
// repo quantizes it as usual and writes the edgeclip package it amounts to into the cache; later
// loads (online or offline) find that package and load it as stored, skipping the f32 download
// and the quantization. The entry is keyed by everything its bytes depend on: the repo and
// subfolder, the ETags of the config, tokenizer, preprocessor and weight files, the towers, the
// int8 policy, and the package format.

import { f32Weights, type LoadedModel, openModel, type OpenOptions } from "../checkpoint/open.ts";
import { type Checkpoint, checkpointOf, folderCheckpoint } from "../checkpoint/resolve.ts";
import { folderWeights } from "../checkpoint/weight_files.ts";
import { type CacheStore, shortHash } from "../io/cache.ts";
import type { RandomAccess } from "../io/host.ts";
import { type HubFileSet, isHubFileSet } from "../io/hub.ts";
import { withFiles } from "../io/memory_files.ts";
import { type FileSet, resolveSource, type Source } from "../io/source.ts";
import { EMBEDDED_FILES, PACKAGE_LAYOUT, PACKAGE_VERSION } from "../package/format.ts";
import { writePackage } from "./convert.ts";
import { LoadRecord } from "./plan.ts";

/** A blob of the cache as a one-file FileSet (a package: opened, never listed). */
function blobFiles(cache: CacheStore, repo: string, blob: string): FileSet {
  return {
    label: `${cache.label}/${blob}`,
    exists: (n) => Promise.resolve(n === blob),
    bytes: () => cache.bytes(repo, blob),
    text: async () => new TextDecoder().decode(await cache.bytes(repo, blob)),
    open: (): Promise<RandomAccess> => cache.open(repo, blob),
  };
}

/** The cache blob name of the package converted from `files` with `opts`. */
async function entryName(
  files: HubFileSet,
  weights: string[],
  opts: OpenOptions & { precision: string },
) {
  // the files a converted package depends on: its embedded files (config.json first) and weights
  const names = [...EMBEDDED_FILES, ...weights];
  const metas = await Promise.all(names.map((f) => files.meta(f)));
  const tags = Object.fromEntries(names.map((f, i) => [f, metas[i]?.etag ?? null]));
  const key = JSON.stringify({
    format: [PACKAGE_VERSION, PACKAGE_LAYOUT],
    repo: files.repo.id,
    subfolder: files.repo.subfolder,
    tags,
    towers: opts.towers ?? "both",
    precision: opts.precision,
  });
  return `edgeclip-int8-${shortHash(key)}.safetensors`;
}

/** openModel on a checkpoint opened here, closed after (openModel closes only what it opens). */
async function openClosing(ckpt: Checkpoint, opts: OpenOptions): Promise<LoadedModel> {
  try {
    return await openModel(ckpt, opts);
  } finally {
    ckpt.close();
  }
}

/**
 * Loads Hub repo `files` as int8 through its cache (see the file comment). `precision` names the
 * int8 policy in `opts.q8Policy`. Without a cache, or for a repo that is already a package, this
 * is a plain openModel.
 */
export async function openInt8Cached(
  files: HubFileSet,
  opts: OpenOptions & { precision: string },
): Promise<LoadedModel> {
  const cache = files.cache;
  const found = cache && (await folderWeights(files));
  if (!cache || !found) return await openClosing(await checkpointOf({ files }), opts);
  const repo = files.repo.id;
  // an index stands for itself and its shards
  const weights = found.name.endsWith(".index.json") ? [found.name, ...found.parts] : [found.name];
  const blob = await entryName(files, weights, opts);
  if (await cache.has(repo, blob)) {
    const pkg = await checkpointOf({ files: blobFiles(cache, repo, blob), single: blob });
    const loaded = await openClosing(pkg, { ...opts, dtype: "int8" });
    // a merge still starts from the repo's f32 weights, as on the load that quantized them
    const openSource = async () => {
      const ckpt = await folderCheckpoint(files);
      try {
        return await f32Weights(ckpt);
      } finally {
        ckpt.close();
      }
    };
    return { ...loaded, isPackage: false, openSource };
  }
  const ckpt: Checkpoint = await folderCheckpoint(files);
  try {
    const record = new LoadRecord();
    const loaded = await openModel(ckpt, { ...opts, dtype: "int8", observer: record });
    const meta = await files.meta(found.name);
    // the Hub's ETag of an LFS file is its SHA-256: no need to read 600 MB again
    const sha = meta && /^[0-9a-f]{64}$/.test(meta.etag) ? meta.etag : undefined;
    let embedded: ReadonlyMap<string, Uint8Array> = new Map();
    try {
      await cache.put(repo, blob, async (sink) => {
        ({ embedded } = await writePackage(ckpt, { ...loaded, record }, {
          sink,
          sourceSha256: sha,
        }));
      });
    } catch {
      // the cache is an optimisation: a full disk or a refused write leaves the load as it is
    }
    // the package just written holds the tokenizer's merges resolved: this model's first text
    // call reads them too, instead of parsing vocab.json and merges.txt again (~100 ms, ~10 MiB)
    if (!embedded.size) return loaded;
    return { ...loaded, files: withFiles(loaded.files, Object.fromEntries(embedded)) };
  } finally {
    ckpt.close();
  }
}

/**
 * openModel, with int8 loads of Hub repos going through the converted-package cache
 * (openInt8Cached); `precision` names the int8 policy given as `q8Policy`.
 */
export async function openModelCached(
  source: Source,
  opts: OpenOptions & { precision: string },
): Promise<LoadedModel> {
  if (opts.dtype !== "int8" || typeof source !== "string") return await openModel(source, opts);
  const resolved = await resolveSource(source, opts);
  if (isHubFileSet(resolved.files) && !resolved.single) {
    return await openInt8Cached(resolved.files, opts);
  }
  return await openClosing(await checkpointOf(resolved), opts);
}
