// Bottleneck adapters at one location (adapters methods/bottleneck.py BottleneckLayer): the state
// algebra the composition walker runs (pre_block, compose_single, vslice, concat, mean) and the two
// blocks only bottlenecks support, Fuse and Split, reproduced literally, quirks included (spec §4).

import { EdgeClipError } from "../../errors.ts";
import type { SeqLayout } from "../../model/hooks.ts";
import type { Kernels, Mat } from "../../wasm/kernels.ts";
import { type Algebra, averageRows, composeAt, libraryRaises, type RunChild } from "../compose.ts";
import type { Block, Fuse, Setup, Split } from "../composition.ts";
import { concatRows } from "../ops.ts";
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

/** The library's BottleneckState. */
interface State {
  /** The running hidden state. */
  readonly h: Mat;
  /** The sub-block input (post adds it back). */
  readonly r: Mat;
  /** The adapter residual that pre chose. */
  readonly res: Mat;
  /** The last adapter's scaled up-projection (Fuse attends over these). */
  readonly up?: Mat;
  /** The last adapter that produced an output: its config decides post. */
  readonly last?: string;
  readonly layout: SeqLayout;
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
  const s = composeAt(algebra(loc), setup, { h: o, r, res: r, layout });
  if (!s) return undefined;
  const last = s.last !== undefined ? loc.module(s.last) : undefined;
  if (!last) {
    libraryRaises(loc.where, "the composition produced no output from an adapter of this layer");
  }
  return last.post(s.h, o, s.r);
}

function algebra(loc: BnLocation): Algebra<State> {
  const k = loc.k;
  const single = (name: string, s: State): State => {
    const { out, up } = loc.module(name)!.forward(s.h, s.res, s.layout);
    return { ...s, h: out, up, last: name };
  };
  return {
    where: loc.where,
    method: "bottleneck adapters",
    has: (name) => loc.module(name) !== undefined,
    single,
    layout: (s) => s.layout,
    preBlock: (setup, s) => preBlock(loc, setup, s),
    vslice(s, part) {
      const v = (m: Mat) => k.view(m, part.r0, part.rows);
      return {
        h: v(s.h),
        r: v(s.r),
        res: v(s.res),
        up: s.up && v(s.up),
        last: s.last,
        layout: part.layout,
      };
    },
    concat(parts, whole) {
      const H = whole.h.cols, cat = (f: (x: State) => Mat) => concatRows(k, parts.map(f), H);
      return {
        h: cat((x) => x.h),
        r: cat((x) => x.r),
        res: cat((x) => x.res),
        up: parts[0].up && parts.every((x) => x.up) ? cat((x) => x.up!) : undefined,
        last: parts[parts.length - 1].last,
        layout: whole.layout,
      };
    },
    // each child's output already holds the residual, so Average scales it by the weights too
    mean: (states, b) => ({
      ...states[0],
      h: averageRows(k, loc.where, states.map((x) => x.h), b.weights),
      last: states[states.length - 1].last,
    }),
    fuse: (b, s, run) => fuse(loc, b, s, run),
    split: (b, s, run) => split(loc, b, s, run),
  };
}

/** pre_block: the first adapter's pre_forward on the whole input (a KeyError when it has none). */
function preBlock(loc: BnLocation, setup: Setup, s: State): State {
  const name = typeof setup === "string" ? setup : setup.first();
  const m = loc.module(name);
  if (!m) libraryRaises(loc.where, `the block's first adapter ${name} has no module in this layer`);
  const p = m.pre(s.h, s.r);
  return { ...s, h: p.h, res: p.res };
}

/**
 * Fuse: the last child's pre (with the fusion query), every child's core on the same input, then
 * attention over their up-projections (compose_fuse).
 */
function fuse(loc: BnLocation, b: Fuse, s: State, run: RunChild<State>): State {
  const last = b.last();
  const lastMod = loc.module(last);
  if (!lastMod) libraryRaises(loc.where, `the fused adapter ${last} has no module in this layer`);
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
    const done = run(c, s);
    if (done) ups.push(done.up!);
  }
  if (ups.some((u) => !u)) libraryRaises(loc.where, "a fused block produced no up-projection");
  const h = ups.length ? fusion.forward(p.query!, ups, s.res) : s.h;
  return { ...s, h, last };
}

/**
 * Split: child i runs on tokens [a_i, a_i + splits[i]) of every sequence, after the first
 * adapter's pre on the whole input; the outputs are concatenated back along the tokens.
 */
function split(loc: BnLocation, b: Split, s: State, run: RunChild<State>): State {
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
  const outs: { state: State; len: number }[] = [];
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
    const done = run(c, cs);
    if (done) {
      outs.push({ state: done, len });
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
    libraryRaises(loc.where, "a Split child without a module in this layer drops tokens");
  }
  return { ...s, h, last };
}
