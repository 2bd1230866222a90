// A model source resolved to its files: a Hugging Face folder (config.json + its weights —
// model.safetensors, shards, or pytorch_model.bin — with tokenizer and preprocessor files beside
// them) or an edgeclip package (one .safetensors file carrying those files), with its weight
// header read and its config parsed. open.ts builds the model from it; the converter reads it too.

import { EdgeClipError } from "../errors.ts";
import { type FileSet, resolveSource, type Source, type SourceOptions } from "../io/source.ts";
import { type OpenedSafetensors, openSafetensors } from "../io/weight_file.ts";
import { type ClipConfig, parseClipConfig, type Towers } from "../model/config.ts";
import { openPackage } from "../package/read.ts";
import { folderWeights, WEIGHT_FILES } from "./weight_files.ts";

/** What a Checkpoint is made of. */
export interface CheckpointParts {
  /** The model's small files: the folder itself, or a package's embedded files. */
  readonly files: FileSet;
  /** Where the weight file lives (for checksums and re-reading it). */
  readonly weightFiles: FileSet;
  readonly weightName: string;
  /** The weight file, open until the checkpoint is closed. */
  readonly weights: OpenedSafetensors;
  readonly configText: string;
  /** The config of every tower the checkpoint holds. */
  readonly cfg: ClipConfig;
  /** A package's towers; undefined for a Hugging Face folder. */
  readonly packaged?: Towers;
  /** Names the checkpoint in messages. */
  readonly label: string;
}

/** A resolved model source (its parts, as CheckpointParts); close() releases its weight file. */
export interface Checkpoint extends CheckpointParts {}
export class Checkpoint {
  constructor(parts: CheckpointParts) {
    Object.assign(this, parts);
  }

  get isPackage(): boolean {
    return this.packaged !== undefined;
  }

  /** False for the caller's in-memory files: they are read once and not kept after the load. */
  get reopenable(): boolean {
    return !this.weightFiles.transient;
  }

  /** `__metadata__` of the weight file. */
  get metadata(): Readonly<Record<string, string>> {
    return this.weights.header.metadata;
  }

  /** Opens the weight file again (its own handle: close it when done). */
  reopen(): Promise<OpenedSafetensors> {
    return openSafetensors(this.weightFiles, this.weightName);
  }

  close(): void {
    this.weights.close();
  }
}

/**
 * Resolves a source (folder or file path, Hub id, URL, in-memory files) into a Checkpoint. A
 * single .safetensors file must be an edgeclip package; anything else is a Hugging Face folder.
 */
export async function resolveCheckpoint(
  source: Source,
  opts: SourceOptions = {},
): Promise<Checkpoint> {
  return await checkpointOf(await resolveSource(source, opts));
}

/** The Checkpoint of a resolved source: a package when `single` names one file, else a folder. */
export async function checkpointOf(
  { files, single }: { files: FileSet; single?: string },
): Promise<Checkpoint> {
  if (single) {
    const p = await openPackage(files, single);
    return new Checkpoint({
      ...p,
      weightFiles: files,
      weightName: single,
      packaged: p.towers,
      label: p.weights.label,
    });
  }
  return await folderCheckpoint(files);
}

/** A Hugging Face folder as a Checkpoint: config.json and its weights, joined when sharded. */
export async function folderCheckpoint(files: FileSet): Promise<Checkpoint> {
  const found = await folderWeights(files);
  if (!found) {
    throw new EdgeClipError(
      "source_unavailable",
      `${files.label}: no model weights (looked for ${WEIGHT_FILES.join(", ")})`,
      { source: files.label, file: WEIGHT_FILES[0] },
    );
  }
  const configText = await files.text("config.json");
  const weights = await openSafetensors(found.files, found.name);
  try {
    const cfg = parseClipConfig(configText, (key) => weights.header.entries.has(key));
    return new Checkpoint({
      files,
      weightFiles: found.files,
      weightName: found.name,
      weights,
      configText,
      cfg,
      label: files.label,
    });
  } catch (e) {
    weights.close();
    throw e;
  }
}
