// Which int8 format each linear of a loaded model runs (u7 / u12 / u8 activations, or f32), and the
// channel spread of every LayerNorm that feeds one: what the int8 policy decided for this model.

import { openModel } from "../../src/api/load.ts";
import { LinearQ8 } from "../../src/model/linear_q8.ts";
import { channelSpread, MAX_U7_SPREAD } from "../../src/model/linear_q8.ts";
import type { Linear } from "../../src/model/linear.ts";
import type { EncoderLayer } from "../../src/model/encoder_layer.ts";
import type { LayerNorm } from "../../src/model/layer_norm.ts";
import { QA } from "../../src/wasm/q8.ts";

const FORMAT_NAMES = Object.fromEntries(Object.entries(QA).map(([k, v]) => [v, k]));

function format(l: Linear | undefined): string {
  if (!l) return "–";
  return l instanceof LinearQ8 ? `int8/${FORMAT_NAMES[l.fmt]}` : l.dtype;
}

function spread(n: LayerNorm): number {
  return channelSpread(n.k.mem.f32(n.gamma, n.dim), n.k.mem.f32(n.beta, n.dim));
}

function layerLine(tower: string, i: number, l: EncoderLayer): string {
  const s1 = spread(l.layerNorm1), s2 = spread(l.layerNorm2);
  const mark = (s: number) => `${s.toFixed(2)}${s > MAX_U7_SPREAD ? " (uneven)" : ""}`;
  return `  ${tower}.${i}: q/k/v ${format(l.qProj)} out_proj ${format(l.outProj)} fc1 ${
    format(l.fc1)
  } fc2 ${format(l.fc2)} | spread ln1 ${mark(s1)} ln2 ${mark(s2)}`;
}

/** One line per encoder layer (and the patch embedding and projections) of a model source. */
export async function int8Formats(source: string): Promise<string> {
  const m = await openModel(source, { dtype: "int8" });
  const { text, vision } = m.model;
  const lines = [
    `int8 formats of ${source} (kernel build "${m.kernels.variant}", u7 allowed up to spread ${MAX_U7_SPREAD}):`,
  ];
  text?.layers.forEach((l, i) => lines.push(layerLine("text", i, l)));
  if (vision) {
    lines.push(`  vision patch embedding ${format(vision.patchEmbedding)}`);
    vision.layers.forEach((l, i) => lines.push(layerLine("vision", i, l)));
  }
  lines.push(
    `  text_projection ${format(m.model.textProjection)}, visual_projection ${
      format(m.model.visualProjection)
    }`,
  );
  return lines.join("\n");
}
