// One safetensors file joined from parts: the shards of a sharded checkpoint, or the storages of
// a PyTorch archive, presented with a made-up header so every reader of safetensors (the model's
// weight store, readAhead, the converter) reads them in place, one tensor at a time. Each part
// contributes the span from its first tensor to its last, in file order, so tensors that are
// neighbours in their file stay neighbours (and readAhead still reads them together).

import { EdgeClipError } from "../errors.ts";
import type { RandomAccess } from "./host.ts";
import type { TensorEntry } from "./safetensors.ts";

/** An opened file and the tensors it holds. */
export interface Part {
  readonly ra: RandomAccess;
  readonly tensors: readonly TensorEntry[];
  /** Names the part in messages. */
  readonly label: string;
}

interface Placed {
  readonly part: Part;
  /** The part's span in its file, and where that span starts in the joined file. */
  readonly lo: number;
  readonly hi: number;
  readonly at: number;
}

/** The parts as one safetensors file (closing it closes them). Duplicate names are refused. */
export function joinParts(
  parts: readonly Part[],
  label: string,
  metadata: Record<string, string> = {},
): RandomAccess {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const placed: Placed[] = [];
  let data = 0;
  for (const part of parts) {
    if (!part.tensors.length) continue;
    const lo = Math.min(...part.tensors.map((t) => t.begin));
    const hi = Math.max(...part.tensors.map((t) => t.end));
    for (const t of part.tensors) {
      if (Object.hasOwn(header, t.name)) {
        throw new EdgeClipError(
          "model_format",
          `${label}: tensor ${t.name} appears in more than one file (${part.label})`,
          { file: part.label, key: t.name },
        );
      }
      const begin = data + t.begin - lo;
      header[t.name] = {
        dtype: t.dtype,
        shape: t.shape,
        data_offsets: [begin, begin + t.end - t.begin],
      };
    }
    placed.push({ part, lo, hi, at: data });
    data += hi - lo;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(json, 8);
  const start = head.length;
  const size = start + data;
  return {
    size,
    async read(offset, dest) {
      if (offset < 0 || offset + dest.length > size) {
        throw new RangeError(`read past end (${offset}+${dest.length} > ${size})`);
      }
      let done = 0;
      if (offset < start) {
        done = Math.min(dest.length, start - offset);
        dest.set(head.subarray(offset, offset + done));
      }
      for (const p of placed) {
        if (done === dest.length) break;
        const at = offset + done - start; // in the joined data
        if (at >= p.at + p.hi - p.lo) continue;
        const n = Math.min(dest.length - done, p.at + p.hi - p.lo - at);
        await p.part.ra.read(p.lo + at - p.at, dest.subarray(done, done + n));
        done += n;
      }
    },
    close() {
      for (const p of parts) p.ra.close();
    },
  };
}
