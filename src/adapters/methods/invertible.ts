// Invertible adapters on the text embeddings (adapters methods/modeling.py NICECouplingBlock,
// forward direction only: CLIP has no output embedding to run the inverse on). GLOW is rejected
// when the config is read: the library's GLOW forward cannot run on CLIP inputs.

import type { Act, Kernels, Mat, Owner } from "../../wasm/kernels.ts";
import { adapterActivation } from "../activation.ts";
import type { BnConfig } from "../config.ts";
import { type Lin, linear, makeLin } from "../ops.ts";
import type { AdapterTensors } from "../tensors.ts";

/** NICE: y1 = x1 + F(x2), y2 = x2 + G(y1), with x1 the first ⌊H/2⌋ channels. */
export class NiceCoupling {
  constructor(
    readonly k: Kernels,
    readonly len1: number,
    readonly len2: number,
    readonly f: readonly [Lin, Lin],
    readonly g: readonly [Lin, Lin],
    readonly act: Act,
  ) {}

  /** Reads `<prefix>{F,G}.{0,2}.*` (prefix = "text_model.invertible_adapters.<saved name>."). */
  static load(
    o: Owner,
    cfg: BnConfig,
    t: AdapterTensors,
    prefix: string,
    H: number,
  ): NiceCoupling {
    const len1 = Math.floor(H / 2), len2 = H - len1;
    const rf = cfg.invAdapterReductionFactor ?? 2;
    const subnet = (name: string, inF: number, outF: number): [Lin, Lin] => {
      const mid = Math.floor(inF / rf);
      const l = (i: number, out: number, n: string) =>
        makeLin(
          o,
          t.take(`${prefix}${name}.${n}.weight`, [out, i]),
          out,
          i,
          t.take(`${prefix}${name}.${n}.bias`, [out]),
        );
      return [l(inF, mid, "0"), l(mid, outF, "2")];
    };
    return new NiceCoupling(
      o.kernels,
      len1,
      len2,
      subnet("F", len2, len1),
      subnet("G", len1, len2),
      adapterActivation(cfg.nonLinearity),
    );
  }

  /** In place on the embeddings h [tokens × H]. */
  forward(h: Mat): void {
    const k = this.k;
    const x1 = k.view(h, 0, h.rows, 0, this.len1), x2 = k.view(h, 0, h.rows, this.len1, this.len2);
    k.scratch(() => {
      linear(k, this.f[1], linear(k, this.f[0], x2, { act: this.act }), { out: x1, residual: x1 });
      linear(k, this.g[1], linear(k, this.g[0], x1, { act: this.act }), { out: x2, residual: x2 });
    });
  }
}
