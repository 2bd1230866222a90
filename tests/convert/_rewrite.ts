// Editing a converted package in tests: its metadata and entries changed, then re-serialised.

import { parseSafetensors } from "../../src/io/safetensors.ts";
import { memorySink, writeSafetensors } from "../../src/io/safetensors_write.ts";

/** Re-serialises a package after `edit` changes its metadata or entries. */
export async function rewrite(
  bytes: Uint8Array,
  edit: (meta: Record<string, string>, names: string[]) => {
    drop?: string[];
    dtype?: Record<string, "F32" | "I8" | "I32" | "U8">;
  },
): Promise<Uint8Array> {
  const h = parseSafetensors(bytes);
  const meta = { ...h.metadata };
  const { drop = [], dtype = {} } = edit(meta, [...h.entries.keys()]);
  const tensors = [...h.entries.values()].filter((e) => !drop.includes(e.name)).map((e) => {
    const data = bytes.subarray(e.begin, e.end);
    const dt = dtype[e.name];
    // same bytes under another dtype: shape adjusted so the byte count still matches
    const shape = dt === "F32" && e.dtype === "I8" ? [data.length / 4] : [...e.shape];
    return { name: e.name, dtype: dt ?? e.dtype, shape, data: () => data };
  });
  const sink = memorySink();
  await writeSafetensors(sink, tensors, meta);
  return sink.bytes();
}
