// edgeclip: CLIP with adapters on a CPU, in WebAssembly SIMD. The public surface (see API.md).

export { Clip, loadClip, type LoadClipOptions } from "./src/api/clip.ts";
export type { ForwardInputs, ForwardOutputs } from "./src/api/forward.ts";
export { EdgeClipError, type ErrorCode } from "./src/errors.ts";
export type { Tensor } from "./src/tensor.ts";
export {
  adapterSetupFromDict,
  Average,
  BatchSplit,
  type Block as AdapterBlock,
  Fuse,
  Parallel,
  type Setup as AdapterSetup,
  type SetupDict as AdapterSetupDict,
  Split,
  Stack,
} from "./src/adapters/composition.ts";
