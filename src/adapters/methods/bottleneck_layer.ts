// Composition of bottleneck adapters at one location (adapters methods/bottleneck.py
// BottleneckLayer + adapter_layer_base.py ComposableAdapterLayerBase): the state algebra
// (pre_block, compose_single, vslice, concat, mean) and the Stack / Fuse / Split / BatchSplit /
// Average rules, reproduced literally, quirks included (see the spec §4).

import { EdgeClipError } from "../../errors.ts";
import type { SeqLayout } from "../../model/hooks.ts";
import type { Kernels, Mat } from "../../wasm/kernels.ts";
import { Average, BatchSplit, type Block, Fuse, type Setup, Split, Stack } from "../composition.ts";
import { batchSlice, checkBatchSizes, concatRows } from "../ops.ts";
import type { Bottleneck } from "./bottleneck.ts";
import type { FusionLayer } from "./fusion.ts";

/** What one location offers the composition: its modules by adapter name, its fusion layers. */
export interface BnLocation {
  readonly k: Kernels;
  module(name: string): Bottleneck | undefined;
  fusion(name: string): FusionLayer | undefined;
  /** For messages: "text layer 0 output_adapter". */
  readonly where: string;
}

interface State {
  readonly h: Mat;
  readonly r: Mat;
  readonly res: Mat;
  readonly up?: Mat;
  readonly last?: string;
  readonly layout: SeqLayout;
}

function libraryRaises(loc: BnLocation, why: string): never {
  throw new EdgeClipError(
    "adapter_unsupported",
    `${loc.where}: ${why} (the adapters library raises here)`,
  );
}

/**
 * Runs `setup` at a location on sub-block output o and input r. Returns the new residual stream,
 * or undefined when no adapter of the setup lives here (then the model adds o + r itself).
 */
export function runBottleneckLocation(
  loc: BnLocation,
  setup: Block,
  o: Mat,
  r: Mat,
  layout: SeqLayout,
): Mat | undefined {
  if (![...setup.flatten()].some((n) => loc.module(n))) return undefined;
  let s: State = { h: o, r, res: r, layout };
  s = compose(loc, setup, s, 0);
  const last = s.last !== undefined ? loc.module(s.last) : undefined;
  if (!last) libraryRaises(loc, "the composition produced no output from an adapter of this layer");
  return last.post(s.h, o, s.r);
}

function compose(loc: BnLocation, b: Block, s: State, lvl: number): State {
  if (b instanceof Stack) return stack(loc, b, s, lvl);
  if (b instanceof Fuse) return fuse(loc, b, s, lvl);
  if (b instanceof Split) return split(loc, b, s, lvl);
  if (b instanceof BatchSplit) return batchSplit(loc, b, s, lvl);
  if (b instanceof Average) return average(loc, b, s, lvl);
  return libraryRaises(loc, `${b.type} is not supported for bottleneck adapters on CLIP`);
}

function nested(loc: BnLocation, parent: Block, child: Block, s: State, lvl: number): State {
  if (parent instanceof Stack && lvl >= 1) {
    throw new EdgeClipError(
      "adapter_setup",
      `Specified adapter setup is too deep: cannot have ${child.type} at level ${lvl}`,
    );
  }
  return compose(loc, child, s, lvl + 1);
}

/** pre_block: the first adapter's pre_forward on the whole input. */
function preBlock(loc: BnLocation, setup: Setup, s: State): State {
  const name = typeof setup === "string" ? setup : setup.first();
  const m = loc.module(name);
  if (!m) libraryRaises(loc, `the block's first adapter ${name} has no module in this layer`);
  const p = m.pre(s.h, s.r);
  return { ...s, h: p.h, res: p.res };
}

function single(loc: BnLocation, name: string, s: State): State {
  const { out, up } = loc.module(name)!.forward(s.h, s.res, s.layout);
  return { ...s, h: out, up, last: name };
}

function stack(loc: BnLocation, b: Stack, s: State, lvl: number): State {
  for (const c of b.children) {
    if (typeof c !== "string") s = nested(loc, b, c, s, lvl);
    else if (loc.module(c)) s = single(loc, c, preBlock(loc, c, s));
  }
  return s;
}

function fuse(loc: BnLocation, b: Fuse, s: State, lvl: number): State {
  const last = b.last();
  const lastMod = loc.module(last);
  if (!lastMod) libraryRaises(loc, `the fused adapter ${last} has no module in this layer`);
  const fusion = loc.fusion(b.name);
  if (!fusion) {
    throw new EdgeClipError(
      "adapter_setup",
      `${loc.where}: no fusion ${JSON.stringify(b.name)} is loaded for this layer`,
    );
  }
  const p = lastMod.pre(s.h, s.r, fusion.cfg.queryBeforeLn ? "before" : "after");
  s = { ...s, h: p.h, res: p.res };
  const ups: Mat[] = [];
  for (const c of b.children) {
    if (typeof c !== "string") ups.push(nested(loc, b, c, s, lvl).up!);
    else if (loc.module(c)) ups.push(single(loc, c, s).up!);
  }
  if (ups.some((u) => !u)) libraryRaises(loc, "a fused block produced no up-projection");
  const h = ups.length ? fusion.forward(p.query!, ups, s.res) : s.h;
  return { ...s, h, last };
}

function split(loc: BnLocation, b: Split, s: State, lvl: number): State {
  const total = b.splits.reduce((a, x) => a + x, 0);
  for (const len of s.layout.lengths) {
    if (len !== total) {
      throw new EdgeClipError(
        "adapter_setup",
        `${loc.where}: the input has sequence length ${len}, not the sum of splits ${
          JSON.stringify(b.splits)
        }`,
      );
    }
  }
  const k = loc.k;
  s = preBlock(loc, b, s);
  const B = s.layout.offsets.length, H = s.h.cols;
  // gather each split's token range of every sequence into its own matrix
  const part = (m: Mat, a: number, len: number) =>
    concatRows(k, s.layout.offsets.map((o) => k.view(m, o + a, len)), H);
  const outs: { state: State; a: number; len: number }[] = [];
  let last: string | undefined, a = 0;
  b.children.forEach((c, i) => {
    const len = b.splits[i];
    const layout: SeqLayout = {
      offsets: Array.from({ length: B }, (_, j) => j * len),
      lengths: new Array(B).fill(len),
      total: B * len,
    };
    const cs: State = {
      h: part(s.h, a, len),
      r: part(s.r, a, len),
      res: part(s.res, a, len),
      up: s.up ? part(s.up, a, len) : undefined,
      layout,
    };
    let done: State | undefined;
    if (typeof c !== "string") done = nested(loc, b, c, cs, lvl);
    else if (loc.module(c)) done = single(loc, c, cs);
    if (done) {
      outs.push({ state: done, a, len });
      last = done.last ?? last;
    }
    a += len;
  });
  // concatenation along the sequence axis of the children that produced an output
  const width = outs.reduce((x, p) => x + p.len, 0);
  const h = k.mat(B * width, H);
  let col = 0;
  for (const p of outs) {
    for (let j = 0; j < B; j++) {
      k.copy(k.view(p.state.h, j * p.len, p.len), k.view(h, j * width + col, p.len));
    }
    col += p.len;
  }
  if (width !== total) {
    libraryRaises(loc, "a Split child without a module in this layer drops tokens");
  }
  return { ...s, h, last };
}

function batchSplit(loc: BnLocation, b: BatchSplit, s: State, lvl: number): State {
  checkBatchSizes(loc.where, b.batchSizes, s.layout);
  const k = loc.k;
  s = preBlock(loc, b, s);
  const states: State[] = [];
  let b0 = 0;
  b.children.forEach((c, i) => {
    const b1 = b0 + b.batchSizes[i];
    const sl = batchSlice(s.layout, b0, b1);
    const v = (m: Mat) => k.view(m, sl.r0, sl.rows);
    const cs: State = {
      h: v(s.h),
      r: v(s.r),
      res: v(s.res),
      up: s.up && v(s.up),
      last: s.last,
      layout: sl.layout,
    };
    if (typeof c !== "string") states.push(nested(loc, b, c, cs, lvl));
    else if (loc.module(c)) states.push(single(loc, c, cs));
    else states.push(cs);
    b0 = b1;
  });
  const H = s.h.cols;
  return {
    h: concatRows(k, states.map((x) => x.h), H),
    r: concatRows(k, states.map((x) => x.r), H),
    res: concatRows(k, states.map((x) => x.res), H),
    up: states[0].up && states.every((x) => x.up)
      ? concatRows(k, states.map((x) => x.up!), H)
      : undefined,
    last: states[states.length - 1].last,
    layout: s.layout,
  };
}

function average(loc: BnLocation, b: Average, s: State, lvl: number): State {
  const k = loc.k;
  s = preBlock(loc, b, s);
  const states: State[] = [];
  for (const c of b.children) {
    if (typeof c !== "string") states.push(nested(loc, b, c, s, lvl));
    else if (loc.module(c)) states.push(single(loc, c, s));
  }
  const n = b.weights.length;
  const h = k.mat(s.h.rows, s.h.cols);
  // torch.mean(stack(states) * w[:, None, None, None], 0): with every child present this is
  // Σ w_i·h_i / n; with one survivor it broadcasts to h·Σw / n; otherwise the shapes clash
  if (states.length === n) {
    k.affine(states[0].h, h, b.weights[0] / n);
    for (let i = 1; i < n; i++) k.add(h, states[i].h, h, b.weights[i] / n);
  } else if (states.length === 1) {
    k.affine(states[0].h, h, b.weights.reduce((a, w) => a + w, 0) / n);
  } else libraryRaises(loc, `Average has ${states.length} of ${n} children in this layer`);
  return { ...states[0], h, last: states[states.length - 1].last };
}
