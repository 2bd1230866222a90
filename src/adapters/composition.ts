// Composition blocks (the adapters library's composition.py): Stack, Fuse, Split, BatchSplit,
// Average, the allowed nestings, and the `to_dict` form that adapter_setup.json and golden
// case.json files hold. Parallel exists only as a name to reject: the library refuses it on CLIP.

import { EdgeClipError } from "../errors.ts";

/** A composition block. Children are adapter names or nested blocks. */
export type Block = Stack | Fuse | Split | BatchSplit | Average;
/** What a call or setActiveAdapters accepts: a name, or a block. */
export type Setup = string | Block;

abstract class BlockBase {
  abstract readonly type: Block["type"];
  readonly children: readonly Setup[];
  constructor(children: readonly Setup[]) {
    if (children.length === 0) {
      throw new EdgeClipError("adapter_setup", `${new.target.name} needs at least one child`);
    }
    for (const c of children) {
      if (typeof c !== "string" && !(c instanceof BlockBase)) {
        throw new EdgeClipError(
          "adapter_setup",
          `a ${new.target.name} child must be an adapter name or a block, found ${
            JSON.stringify(c)
          }`,
        );
      }
    }
    this.children = Object.freeze([...children]);
  }
  /** The first adapter name, depth first. */
  first(): string {
    const c = this.children[0];
    return typeof c === "string" ? c : c.first();
  }
  /** The last adapter name, depth first. */
  last(): string {
    const c = this.children[this.children.length - 1];
    return typeof c === "string" ? c : c.last();
  }
  /** Every adapter name in the block. */
  flatten(): Set<string> {
    const s = new Set<string>();
    for (const c of this.children) {
      if (typeof c === "string") s.add(c);
      else for (const n of c.flatten()) s.add(n);
    }
    return s;
  }
  /** The library's to_dict form. */
  toDict(): SetupDict {
    const d: SetupDict = {
      type: this.type,
      children: this.children.map((c) =>
        typeof c === "string" ? { type: "single", children: [c] } : c.toDict()
      ),
    };
    const kw = this.kwargs();
    if (kw) d.kwargs = kw;
    return d;
  }
  protected kwargs(): Record<string, unknown> | undefined {
    return undefined;
  }
  toJSON(): SetupDict {
    return this.toDict();
  }
}

/** Sequential stacking: each child runs on the previous one's output. */
export class Stack extends BlockBase {
  readonly type = "Stack" as const;
  constructor(...children: Setup[]) {
    super(children);
  }
}

/** AdapterFusion over the children's outputs (bottleneck adapters only). */
export class Fuse extends BlockBase {
  readonly type = "Fuse" as const;
  readonly #name?: string;
  constructor(...args: (Setup | { name?: string })[]) {
    const opts = args.length && isOpts(args[args.length - 1])
      ? args.pop() as { name?: string }
      : {};
    super(args as Setup[]);
    this.#name = opts.name;
  }
  /** The fusion name: a custom one, or the children (their last adapters) joined by ",". */
  get name(): string {
    return this.#name ?? this.children.map((c) => (typeof c === "string" ? c : c.last())).join(",");
  }
}

/** The option and to_dict argument of the blocks whose children get a share each. */
const SIZES = {
  Split: { option: "splits", kwarg: "splits" },
  BatchSplit: { option: "batchSizes", kwarg: "batch_sizes" },
} as const;

/** Split and BatchSplit: one size per child, given as the last argument. */
abstract class SizedBlock extends BlockBase {
  abstract override readonly type: keyof typeof SIZES;
  readonly #sizes: readonly number[];
  constructor(args: unknown[], block: keyof typeof SIZES) {
    const { option } = SIZES[block];
    const opts = popOpts(args, block, option);
    super(args as Setup[]);
    this.#sizes = sizes(opts[option], this.children.length, `${block} ${option}`);
    // the public field (splits / batchSizes), declared by the subclass
    Object.defineProperty(this, option, { value: this.#sizes, enumerable: true });
  }
  protected override kwargs(): Record<string, unknown> {
    return { [SIZES[this.type].kwarg]: [...this.#sizes] };
  }
}

/** Splits each sequence along its tokens: child i gets `splits[i]` positions. */
export class Split extends SizedBlock {
  readonly type = "Split" as const;
  declare readonly splits: readonly number[];
  constructor(...args: (Setup | { splits: number[] | number })[]) {
    super(args, "Split");
  }
}

/** Splits the batch: child i gets the next `batchSizes[i]` sequences. */
export class BatchSplit extends SizedBlock {
  readonly type = "BatchSplit" as const;
  declare readonly batchSizes: readonly number[];
  constructor(...args: (Setup | { batchSizes: number[] | number })[]) {
    super(args, "BatchSplit");
  }
}

/**
 * Weighted average of the children's outputs. Weights default to 1/n; given weights are divided
 * by their sum unless `normalizeWeights: false`. (The library then takes a mean over the weighted
 * outputs, i.e. divides by n once more; the methods reproduce that.)
 */
export class Average extends BlockBase {
  readonly type = "Average" as const;
  readonly weights: readonly number[];
  constructor(...args: (Setup | { weights?: number[]; normalizeWeights?: boolean })[]) {
    const opts = args.length && isOpts(args[args.length - 1])
      ? args.pop() as { weights?: number[]; normalizeWeights?: boolean }
      : {};
    super(args as Setup[]);
    const n = this.children.length;
    if (opts.weights === undefined || opts.weights === null) {
      this.weights = Object.freeze(new Array(n).fill(1 / n));
    } else {
      const w = opts.weights;
      if (!Array.isArray(w) || w.length !== n || !w.every((x) => Number.isFinite(x))) {
        throw new EdgeClipError(
          "adapter_setup",
          `Average needs ${n} finite weights, got ${JSON.stringify(w)}`,
        );
      }
      const sum = w.reduce((a, b) => a + b, 0);
      if (opts.normalizeWeights !== false && sum === 0) {
        throw new EdgeClipError(
          "adapter_setup",
          "Average weights sum to 0 and cannot be normalised",
        );
      }
      this.weights = Object.freeze(
        opts.normalizeWeights === false ? [...w] : w.map((x) => x / sum),
      );
    }
  }
  protected override kwargs(): Record<string, unknown> {
    return { weights: [...this.weights] };
  }
}

/** True for a composition block (not a name). */
export function isBlock(x: unknown): x is Block {
  return x instanceof BlockBase;
}

/** The library's validate_composition for model type clip: Parallel is not among its models. */
function rejectParallel(): never {
  throw new EdgeClipError(
    "adapter_unsupported",
    "Parallel composition is not supported on CLIP models (the library rejects it for model type clip)",
  );
}

function isOpts(x: unknown): boolean {
  return !!x && typeof x === "object" && !(x instanceof BlockBase);
}
function popOpts(
  args: unknown[],
  block: string,
  key: string,
): Record<string, number[] | number> {
  if (!args.length || !isOpts(args[args.length - 1])) {
    throw new EdgeClipError("adapter_setup", `${block} needs { ${key} } as its last argument`);
  }
  return args.pop() as Record<string, number[] | number>;
}
function sizes(v: number[] | number, n: number, what: string): readonly number[] {
  const list = Array.isArray(v) ? v : new Array(n).fill(v);
  if (list.length !== n || !list.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new EdgeClipError(
      "adapter_setup",
      `${what} must be ${n} non-negative integers, got ${JSON.stringify(v)}`,
    );
  }
  return Object.freeze([...list]);
}

/** The library's ALLOWED_NESTINGS (without Parallel's row: no Parallel block exists here). */
const ALLOWED: Record<Block["type"], readonly string[]> = {
  Stack: ["str", "Fuse", "Split", "Parallel", "BatchSplit", "Average"],
  Fuse: ["str", "Stack"],
  Split: ["str", "Split", "Stack", "BatchSplit", "Average"],
  BatchSplit: ["str", "Stack", "Split", "BatchSplit", "Average"],
  Average: ["str", "Stack", "Split", "BatchSplit"],
};

/**
 * Normalises and validates a setup as the library's parse_composition + validate_composition do
 * for a CLIP model: a bare name becomes Stack(name); nesting deeper than two levels is only
 * allowed for Stack/names; Parallel is rejected (CLIP is not in its supported models).
 */
export function parseSetup(setup: Setup): Block {
  const block = typeof setup === "string" ? new Stack(setup) : setup;
  if ((block as { type?: unknown })?.type === "Parallel") rejectParallel();
  if (!(block instanceof BlockBase)) {
    throw new EdgeClipError("adapter_setup", `not an adapter setup: ${JSON.stringify(setup)}`);
  }
  validate(block, 0);
  return block;
}

/** validate_composition: the depth rule and ALLOWED_NESTINGS, recursively. */
function validate(b: Setup, level: number): void {
  if (typeof b === "string") return;
  if (level > 1 && !(b instanceof Stack)) {
    throw new EdgeClipError(
      "adapter_setup",
      `Adapter setup is too deep: cannot have ${b.type} at level ${level}`,
    );
  }
  for (const c of b.children) {
    const t = typeof c === "string" ? "str" : c.type;
    if (!ALLOWED[b.type].includes(t)) {
      throw new EdgeClipError(
        "adapter_setup",
        `Cannot nest ${t === "str" ? "an adapter name" : t} inside ${b.type}`,
      );
    }
    validate(c, level + 1);
  }
}

/** The library's to_dict form of a block (adapter_setup.json, case.json active_setup). */
export interface SetupDict {
  type: string;
  children: (SetupDict | { type: "single"; children: [string] })[];
  kwargs?: Record<string, unknown>;
}

/**
 * Builds a setup from the library's to_dict form. Average weights are normalised again, as the
 * library's from_dict does (a no-op when they already sum to 1).
 */
export function adapterSetupFromDict(obj: unknown): Block {
  const d = obj as SetupDict;
  if (!d || typeof d !== "object" || typeof d.type !== "string" || !Array.isArray(d.children)) {
    throw new EdgeClipError("adapter_setup", `not an adapter setup dict: ${JSON.stringify(obj)}`);
  }
  const children: Setup[] = d.children.map((c) => {
    if (c && (c as { type?: string }).type === "single") {
      const name = (c as { children: unknown[] }).children?.[0];
      if (typeof name !== "string") {
        throw new EdgeClipError("adapter_setup", "a single child needs a name");
      }
      return name;
    }
    return adapterSetupFromDict(c);
  });
  const kw = (d.kwargs ?? {}) as Record<string, unknown>;
  const known = {
    Split: ["splits"],
    BatchSplit: ["batch_sizes"],
    Average: ["weights", "normalize_weights"],
  };
  for (const k of Object.keys(kw)) {
    const allowed = Object.hasOwn(known, d.type) ? known[d.type as keyof typeof known] : [];
    if (!allowed.includes(k)) {
      throw new EdgeClipError("adapter_setup", `unknown argument ${k} for ${d.type}`);
    }
  }
  switch (d.type) {
    case "Stack":
      return new Stack(...children);
    case "Fuse":
      return new Fuse(...children);
    case "Split":
      return new Split(...children, { splits: kw.splits as number[] });
    case "BatchSplit":
      return new BatchSplit(...children, { batchSizes: kw.batch_sizes as number[] });
    case "Average":
      return new Average(...children, {
        weights: kw.weights as number[] | undefined,
        normalizeWeights: kw.normalize_weights as boolean | undefined,
      });
    case "Parallel":
      return rejectParallel();
    default:
      throw new EdgeClipError(
        "adapter_setup",
        `unknown composition block ${JSON.stringify(d.type)}`,
      );
  }
}
