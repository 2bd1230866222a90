// Adapter setups as the public API names them: `Stack("a", "b")`, `Fuse(...)`, … are called like
// the adapters library's blocks (no `new` needed; `new Stack(...)` works too and `instanceof` holds).

import * as blocks from "../adapters/composition.ts";

export {
  adapterSetupFromDict,
  type Average as AverageBlock,
  type BatchSplit as BatchSplitBlock,
  type Block as AdapterBlock,
  type BlockBase as AdapterBlockBase,
  type Fuse as FuseBlock,
  type Setup as AdapterSetup,
  type SetupDict as AdapterSetupDict,
  type SizedBlock as SizedAdapterBlock,
  type Split as SplitBlock,
  type Stack as StackBlock,
} from "../adapters/composition.ts";

/** A block class that may also be called as a function: `Stack("a", "b")` or `new Stack(…)`. */
// deno-lint-ignore no-explicit-any
export type Callable<C extends abstract new (...args: any) => any> =
  & C
  & ((...args: ConstructorParameters<C>) => InstanceType<C>);

// deno-lint-ignore no-explicit-any
function callable<C extends abstract new (...args: any) => any>(cls: C): Callable<C> {
  return new Proxy(cls, {
    apply: (target, _this, args) => Reflect.construct(target, args),
  }) as Callable<C>;
}

/**
 * Adapters applied one after another (the library's `Stack`).
 *
 * @example
 * ```ts
 * clip.setActiveAdapters(Stack("lang", "task"));
 * ```
 */
export const Stack: Callable<typeof blocks.Stack> = callable(blocks.Stack);
/**
 * AdapterFusion over the children (the library's `Fuse`); the fusion layer must be loaded.
 *
 * @example
 * ```ts
 * await clip.embedText("a cat", { adapters: Fuse("a", "b", "c") });
 * ```
 */
export const Fuse: Callable<typeof blocks.Fuse> = callable(blocks.Fuse);
/** Splits each sequence along its tokens: child i gets `splits[i]` positions (`Split`). */
export const Split: Callable<typeof blocks.Split> = callable(blocks.Split);
/** Splits the batch: child i gets the next `batchSizes[i]` sequences (`BatchSplit`). */
export const BatchSplit: Callable<typeof blocks.BatchSplit> = callable(blocks.BatchSplit);
/** Weighted average of the children's outputs (the library's `Average`). */
export const Average: Callable<typeof blocks.Average> = callable(blocks.Average);
