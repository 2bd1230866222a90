// The anchors' reference tensors (raw little-endian files written by export_clip.py) and the
// batches built from them: images cycle over ref_pixel_values, prompts over ref_input_ids.

export interface RefData {
  /** [n × 3·224·224] pixel_values, or [n × 77] token ids. */
  readonly inputs: Float32Array | Int32Array;
  readonly count: number;
  /** Torch's embeds [n × 512] (unnormalised). */
  readonly embeds: Float32Array;
}

function f32(path: string): Float32Array {
  const b = Deno.readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
}

/** Reads the reference inputs/outputs of a tower from the anchors' model folder. */
export function readRefs(dir: string, tower: "image" | "text"): RefData {
  if (tower === "image") {
    const inputs = f32(`${dir}/ref_pixel_values.f32`);
    return {
      inputs,
      count: inputs.length / (3 * 224 * 224),
      embeds: f32(`${dir}/ref_image_embeds.f32`),
    };
  }
  const b = Deno.readFileSync(`${dir}/ref_input_ids.i64`);
  const ids64 = new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const inputs = Int32Array.from(ids64, (v) => Number(v));
  return { inputs, count: inputs.length / 77, embeds: f32(`${dir}/ref_text_embeds.f32`) };
}

/** B images of pixel_values, cycling over the references. */
export function imageBatch(r: RefData, B: number): Float32Array {
  const item = 3 * 224 * 224, src = r.inputs as Float32Array;
  const out = new Float32Array(B * item);
  for (let b = 0; b < B; b++) {
    out.set(src.subarray((b % r.count) * item, (b % r.count + 1) * item), b * item);
  }
  return out;
}

/**
 * B prompts cycling over the reference rows, each cut after its pooled position (`pool` gives it:
 * HF's rule for the model's config) — tokens after EOS cannot change a causal model's EOS output.
 */
export function textBatch(
  r: RefData,
  B: number,
  pool: (ids: Int32Array) => number,
): Int32Array[] {
  const src = r.inputs as Int32Array;
  return Array.from({ length: B }, (_, b) => {
    const row = src.subarray((b % r.count) * 77, (b % r.count + 1) * 77);
    return row.slice(0, pool(row) + 1);
  });
}

export { cosine } from "../../src/api/vectors.ts";
