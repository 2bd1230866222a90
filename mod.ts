// edgeclip: CLIP with adapters on a CPU, in WebAssembly SIMD. The public surface (see API.md).

export { Clip, loadClip, type LoadClipOptions } from "./src/api/clip.ts";
export type { ForwardInputs, ForwardOutputs } from "./src/api/forward.ts";
export { TEMPLATE_PRESETS } from "./src/api/templates.ts";
export { EdgeClipError, type ErrorCode } from "./src/errors.ts";
export type { Tensor } from "./src/tensor.ts";
export { type KernelModules, setKernelModules } from "./src/wasm/module.ts";
export {
  type AdapterBlock,
  type AdapterSetup,
  type AdapterSetupDict,
  adapterSetupFromDict,
  Average,
  BatchSplit,
  Fuse,
  Split,
  Stack,
} from "./src/api/setup.ts";
