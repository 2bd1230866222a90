// A model source resolved to its files: a Hugging Face folder (config.json + model.safetensors,
// tokenizer and preprocessor files beside them) or an edgeclip package (one .safetensors file
// carrying those files), with its weight header read and its config parsed. open.ts builds the
// model from it; the converter reads it too.

import { EdgeClipError } from "../errors.ts";
import { type FileSet, resolveSource, type Source } from "../io/source.ts";
import { type OpenedSafetensors, openSafetensors } from "../io/weight_file.ts";
import { type ClipConfig, parseClipConfig, type Towers } from "../model/config.ts";
import { openPackage } from "../package/read.ts";

/** The weight file of a Hugging Face folder. */
export const HF_WEIGHTS = "model.safetensors";

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
 * Resolves a source (folder or file path, URL, in-memory files) into a Checkpoint. A single
 * .safetensors file must be an edgeclip package; anything else is a Hugging Face folder.
 */
export async function resolveCheckpoint(source: Source): Promise<Checkpoint> {
  const { files, single } = await resolveSource(source);
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
  if (!(await files.exists(HF_WEIGHTS))) {
    const hint = (await files.exists("pytorch_model.bin"))
      ? " (only pytorch_model.bin is present: convert it to safetensors first)"
      : "";
    throw new EdgeClipError(
      "source_unavailable",
      `${files.label}: no ${HF_WEIGHTS}${hint}`,
      { source: files.label, file: HF_WEIGHTS },
    );
  }
  const configText = await files.text("config.json");
  const weights = await openSafetensors(files, HF_WEIGHTS);
  try {
    const cfg = parseClipConfig(configText, (key) => weights.header.entries.has(key));
    return new Checkpoint({
      files,
      weightFiles: files,
      weightName: HF_WEIGHTS,
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
