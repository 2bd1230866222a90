// Opens a safetensors file of a FileSet for tensor-by-tensor reads straight into their
// destination (linear memory), so a model never sits in JS memory twice.

import type { RandomAccess } from "./host.ts";
import {
  headerLength,
  parseHeader,
  type SafetensorsHeader,
  type TensorEntry,
} from "./safetensors.ts";
import type { FileSet } from "./source.ts";

/** A safetensors file whose tensors can be read by entry (or a view of one). */
export interface WeightFile {
  readonly label: string;
  readonly header: SafetensorsHeader;
  read(entry: TensorEntry, dest: Uint8Array): Promise<void>;
}

/** A weight file open on its source: close() when done. */
export interface OpenedSafetensors extends WeightFile {
  close(): void;
}

/** Reads and validates the header of an opened safetensors file. */
export async function readHeader(ra: RandomAccess, label: string): Promise<SafetensorsHeader> {
  const first = new Uint8Array(Math.min(8, ra.size));
  await ra.read(0, first);
  const json = new Uint8Array(headerLength(first, ra.size, label));
  await ra.read(8, json);
  return parseHeader(json, ra.size, label);
}

/** How messages name file `name` of `files` ("folder/model.safetensors"). */
export function fileLabel(files: FileSet, name: string): string {
  return `${files.label.replace(/\/$/, "")}/${name}`;
}

/** Reads and validates the header of `name` in `files`; tensor data is read on demand. */
export async function openSafetensors(files: FileSet, name: string): Promise<OpenedSafetensors> {
  const ra: RandomAccess = await files.open(name);
  const label = fileLabel(files, name);
  try {
    const header = await readHeader(ra, label);
    return {
      label,
      header,
      read: (e, dest) => ra.read(e.begin, dest.subarray(0, e.end - e.begin)),
      close: () => ra.close(),
    };
  } catch (e) {
    ra.close();
    throw e;
  }
}
