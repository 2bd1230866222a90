// Prefix tuning (adapters methods/prefix_tuning.py): one prefix generator per tower location
// ("clip_text_model_self_prefix", "clip_vision_model_self_prefix"). Its output does not depend on
// the input, so the keys/values of every layer are computed once at load time (the library's
// eject()); per call only the optional gates and the composition run.

import { EdgeClipError } from "../../errors.ts";
import type { PrefixKV, SeqLayout } from "../../model/hooks.ts";
import type { Kernels, Mat, Owner } from "../../wasm/kernels.ts";
import { adapterActivation } from "../activation.ts";
import { type Algebra, composeAt } from "../compose.ts";
import type { Block } from "../composition.ts";
import type { PrefixConfig } from "../config.ts";
import { concatRows, type Lin, linear, makeLin, seqGates } from "../ops.ts";
import type { AdapterTensors } from "../tensors.ts";

/**
 * Computes the flat prefix states [P × Lp·2·H] of one location. Non-flat:
 * KV = W2·act(W1·wte + b1) + b2; flat: the stored vector.
 */
export function prefixStates(
  k: Kernels,
  cfg: PrefixConfig,
  t: AdapterTensors,
  prefix: string,
  H: number,
  Lp: number,
): Float32Array {
  const P = cfg.prefixLength, N = Lp * 2 * H;
  if (cfg.flat) return t.take(prefix + "control_trans", [P * N]);
  const bn = cfg.bottleneckSize;
  const E = t.take(prefix + "wte.weight", [P, H]);
  const W1 = t.take(prefix + "control_trans.0.weight", [bn, H]),
    b1 = t.take(prefix + "control_trans.0.bias", [bn]);
  const W2 = t.take(prefix + "control_trans.2.weight", [N, bn]),
    b2 = t.take(prefix + "control_trans.2.bias", [N]);
  const act = adapterActivation(cfg.nonLinearity);
  // run once through the kernels; the MLP's weights are not kept
  const tmp = k.owner();
  try {
    const l1 = makeLin(tmp, W1, bn, H, b1), l2 = makeLin(tmp, W2, N, bn, b2);
    return k.scratch(() => k.read(linear(k, l2, linear(k, l1, k.matFrom(E, P, H), { act }))));
  } finally {
    tmp.free();
  }
}

/** One layer's prefix: views of the location's states, and the optional gate. */
export interface PrefixLayer {
  readonly name: string;
  readonly length: number;
  readonly keys: Mat; // [P × H], row stride Lp·2·H
  readonly values: Mat;
  readonly gate?: Lin;
}

/** The layer views of a location's states, uploaded as `states` [P × Lp·2·H]. */
export function prefixLayer(
  o: Owner,
  name: string,
  states: Mat,
  H: number,
  id: number,
  t: AdapterTensors,
  gatePrefix: string | undefined,
  gateHeads: number,
): PrefixLayer {
  const k = o.kernels, P = states.rows;
  const at = (col: number): Mat => k.view(states, 0, P, col, H);
  const gate = gatePrefix
    ? makeLin(
      o,
      t.take(gatePrefix + "weight", [gateHeads, H]),
      gateHeads,
      H,
      t.take(gatePrefix + "bias", [gateHeads]),
    )
    : undefined;
  return { name, length: P, keys: at(2 * id * H), values: at((2 * id + 1) * H), gate };
}

/** The prefixes of one attention layer, by adapter name. */
export interface PrefixSite {
  readonly k: Kernels;
  module(name: string): PrefixLayer | undefined;
  /** For messages: "text layer 0 prefix". */
  readonly where: string;
}

/** Per sequence: prefix blocks in key order (the most recently stacked first). */
interface State {
  /** The attention input (the gates read it). */
  readonly x: Mat;
  readonly layout: SeqLayout;
  readonly seqs: readonly { keys: Mat[]; values: Mat[] }[];
}

/** The prefix keys/values of `setup` for attention input x (LN1 output). */
export function runPrefixSite(
  site: PrefixSite,
  setup: Block,
  x: Mat,
  layout: SeqLayout,
): PrefixKV | undefined {
  const seqs = layout.offsets.map(() => ({ keys: [] as Mat[], values: [] as Mat[] }));
  const s = composeAt(algebra(site), setup, { x, layout, seqs });
  if (!s) return undefined;
  const lens = s.seqs.map((q) => q.keys.reduce((a, m) => a + m.rows, 0));
  if (lens.some((l) => l !== lens[0])) {
    throw new EdgeClipError(
      "adapter_unsupported",
      `${site.where}: sequences get prefixes of different lengths (the library pads them with quirks; not supported)`,
    );
  }
  const k = site.k, H = x.cols;
  const join = (ms: Mat[]) => (ms.length === 1 ? ms[0] : concatRows(k, ms, H));
  return {
    length: lens[0] ?? 0,
    keys: s.seqs.map((q) => join(q.keys)),
    values: s.seqs.map((q) => join(q.values)),
  };
}

/** Stack prepends each adapter's prefix; BatchSplit gives each child its own sequences. */
function algebra(site: PrefixSite): Algebra<State> {
  return {
    where: site.where,
    method: "prefix tuning",
    has: (name) => site.module(name) !== undefined,
    single: (name, s) => single(site, site.module(name)!, s),
    layout: (s) => s.layout,
    vslice: (s, part) => ({
      x: site.k.view(s.x, part.r0, part.rows),
      layout: part.layout,
      seqs: s.seqs.slice(part.b0, part.b1),
    }),
    concat: (parts, whole) => ({ ...whole, seqs: parts.flatMap((p) => p.seqs) }),
  };
}

/** compose_single: prepends this adapter's (optionally gated) prefix to every sequence. */
function single(site: PrefixSite, m: PrefixLayer, s: State): State {
  const k = site.k;
  const gates = m.gate ? seqGates(k, m.gate, s.x, s.layout) : undefined;
  const seqs = s.seqs.map((q, b) => {
    let keys = m.keys, values = m.values;
    if (gates) {
      const g = gates[b];
      keys = k.mat(m.length, m.keys.cols);
      values = k.mat(m.length, m.keys.cols);
      k.affine(m.keys, keys, g[0]);
      k.affine(m.values, values, g[g.length - 1]);
    }
    return { keys: [keys, ...q.keys], values: [values, ...q.values] };
  });
  return { ...s, seqs };
}
