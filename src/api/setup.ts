// Adapter setups as the public API names them: `Stack("a", "b")`, `Fuse(...)`, … are called like
// the adapters library's blocks (no `new` needed; `new Stack(...)` works too and `instanceof` holds).

import * as blocks from "../adapters/composition.ts";

export {
  adapterSetupFromDict,
  type Block as AdapterBlock,
  type Setup as AdapterSetup,
  type SetupDict as AdapterSetupDict,
} from "../adapters/composition.ts";

// deno-lint-ignore no-explicit-any
type Ctor = abstract new (...args: any) => any;
/** A block class that may also be called as a function. */
export type Callable<C extends Ctor> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

function callable<C extends Ctor>(cls: C): Callable<C> {
  return new Proxy(cls, {
    apply: (target, _this, args) => Reflect.construct(target, args),
  }) as Callable<C>;
}

export const Stack: Callable<typeof blocks.Stack> = callable(blocks.Stack);
export const Fuse: Callable<typeof blocks.Fuse> = callable(blocks.Fuse);
export const Split: Callable<typeof blocks.Split> = callable(blocks.Split);
export const BatchSplit: Callable<typeof blocks.BatchSplit> = callable(blocks.BatchSplit);
export const Average: Callable<typeof blocks.Average> = callable(blocks.Average);
