// The one composition walker (the adapters library's ComposableAdapterLayerBase.compose): block
// dispatch, the depth rule, BatchSplit slicing and Average weighting, written once. A method
// plugs in at a hook site by supplying its state algebra (compose_single, and pre_block / vslice /
// concat / mean / its own Fuse or Split where it supports them); what it leaves out, the library
// raises for, and so does this walker.

import { EdgeClipError } from "../errors.ts";
import type { SeqLayout } from "../model/hooks.ts";
import type { Kernels, Mat } from "../wasm/kernels.ts";
import type { Average, BatchSplit, Block, Fuse, Setup, Split } from "./composition.ts";
import { batchSlice, checkBatchSizes } from "./ops.ts";

/** Sequences [b0, b1) of a state: their rows [r0, r0 + rows) and their layout re-based at 0. */
export interface BatchPart {
  readonly b0: number;
  readonly b1: number;
  readonly r0: number;
  readonly rows: number;
  readonly layout: SeqLayout;
}

/** Runs one child of a block: a nested block, or an adapter's compose_single; undefined = skipped. */
export type RunChild<S> = (child: Setup, s: S) => S | undefined;

/**
 * A method's state algebra at one hook site (the library's "customizable methods"). `S` is the
 * method's own state; the walker never looks inside it.
 */
export interface Algebra<S> {
  /** For messages: "text layer 0 output_adapter", "vision layer 1 q". */
  readonly where: string;
  /** For messages: "bottleneck adapters", "LoRA", "prefix tuning". */
  readonly method: string;
  /** True when adapter `name` has a module at this site (the library's `name in adapters`). */
  has(name: string): boolean;
  /** compose_single: adapter `name`'s module on the state. */
  single(name: string, s: S): S;
  /** The tokens the state covers (BatchSplit checks and slices by it). */
  layout(s: S): SeqLayout;
  /** pre_block: once before a block's children, and before each name a Stack runs. */
  preBlock?(setup: Setup, s: S): S;
  /** vslice: the state of some of the sequences (BatchSplit). */
  vslice?(s: S, part: BatchPart): S;
  /** concat: the children's states back into one batch; `whole` is the state that was sliced. */
  concat?(parts: readonly S[], whole: S): S;
  /** mean: Average over the children that produced a state (see averageRows for the weights). */
  mean?(states: readonly S[], b: Average): S;
  /** Blocks a method composes its own way (bottleneck adapters: Fuse and Split). */
  fuse?(b: Fuse, s: S, run: RunChild<S>): S;
  split?(b: Split, s: S, run: RunChild<S>): S;
}

/** "…the library raises here": a composition the library cannot run at this site. */
export function libraryRaises(where: string, why: string): never {
  throw new EdgeClipError(
    "adapter_unsupported",
    `${where}: ${why} (the adapters library raises here)`,
  );
}

/**
 * Runs `setup` at a site from state `s`. Returns undefined when no adapter of the setup has a
 * module here (the site then behaves as the base model).
 */
export function composeAt<S>(m: Algebra<S>, setup: Block, s: S): S | undefined {
  for (const n of setup.flatten()) if (m.has(n)) return compose(m, setup, s, 0);
  return undefined;
}

function compose<S>(m: Algebra<S>, b: Block, s: S, lvl: number): S {
  const run: RunChild<S> = (c, st) => {
    if (typeof c === "string") return m.has(c) ? m.single(c, st) : undefined;
    // the library checks the depth only when a Stack nests a block (compose_stack)
    if (b.type === "Stack" && lvl >= 1) {
      throw new EdgeClipError(
        "adapter_setup",
        `Specified adapter setup is too deep: cannot have ${c.type} at level ${lvl}`,
      );
    }
    return compose(m, c, st, lvl + 1);
  };
  switch (b.type) {
    case "Stack":
      // each child on the previous one's output; a name without a module here is skipped
      for (const c of b.children) {
        if (typeof c !== "string") s = run(c, s)!;
        else if (m.has(c)) s = m.single(c, m.preBlock ? m.preBlock(c, s) : s);
      }
      return s;
    case "BatchSplit":
      if (m.vslice && m.concat) return batchSplit(m, b, s, run);
      break;
    case "Average":
      if (m.mean) {
        // every child from the same input; skipped children leave the weights' length alone
        const from = m.preBlock ? m.preBlock(b, s) : s;
        const states = b.children.map((c) => run(c, from)).filter((x) => x !== undefined);
        return m.mean(states, b);
      }
      break;
    case "Fuse":
      if (m.fuse) return m.fuse(b, s, run);
      break;
    case "Split":
      if (m.split) return m.split(b, s, run);
      break;
  }
  return libraryRaises(m.where, `${b.type} composition is not supported for ${m.method}`);
}

/** Each child gets its own sequences; a child without a module here passes them on unchanged. */
function batchSplit<S>(m: Algebra<S>, b: BatchSplit, s: S, run: RunChild<S>): S {
  checkBatchSizes(m.where, b.batchSizes, m.layout(s));
  const whole = m.preBlock ? m.preBlock(b, s) : s;
  const parts: S[] = [];
  let b0 = 0;
  b.children.forEach((c, i) => {
    const b1 = b0 + b.batchSizes[i];
    const part = m.vslice!(whole, { b0, b1, ...batchSlice(m.layout(whole), b0, b1) });
    parts.push(run(c, part) ?? part);
    b0 = b1;
  });
  return m.concat!(parts, whole);
}

/**
 * Average's weighting as the library codes it: torch.mean(stack(outs) · w[:, None, None, None]).
 * With all n children present that is Σ w_i·out_i / n (an extra 1/n); with one survivor it
 * broadcasts to out·Σw / n; with 1 < k < n survivors the shapes clash and the library raises.
 */
export function averageRows(
  k: Kernels,
  where: string,
  outs: readonly Mat[],
  weights: readonly number[],
): Mat {
  const n = weights.length;
  if (outs.length !== n && outs.length !== 1) {
    libraryRaises(where, `Average has ${outs.length} of ${n} children in this layer`);
  }
  const h = k.mat(outs[0].rows, outs[0].cols);
  if (outs.length === n) {
    k.affine(outs[0], h, weights[0] / n);
    for (let i = 1; i < n; i++) k.add(h, outs[i], h, weights[i] / n);
  } else k.affine(outs[0], h, weights.reduce((a, w) => a + w, 0) / n);
  return h;
}
