/**
 * edgeclip: CLIP with adapters on a CPU, in WebAssembly SIMD. Text and image embeddings,
 * zero-shot classification and Hugging Face's `CLIPModel.forward` from a checkpoint in the
 * Hugging Face layout (or an int8 package made by `deno task convert`), plus adapters trained with
 * the AdapterHub `adapters` library. The same module runs in Deno, Node ≥ 20, browsers and
 * Workers (see the README's "Install" section); the HTTP handler is in `server.ts`.
 *
 * @example Embed and compare
 * ```ts
 * import { loadClip } from "@edgeclip/edgeclip";
 *
 * const clip = await loadClip("https://example.com/clip-vit-base-patch32/", { dtype: "int8" });
 * const [text] = await clip.embedText("a photo of a cat");
 * const [image] = await clip.embedImage(await (await fetch("https://example.com/cat.jpg")).blob());
 * let cosine = 0;
 * for (let i = 0; i < text.length; i++) cosine += text[i] * image[i]; // both L2-normalised
 * ```
 *
 * @example Zero-shot classification with an adapter
 * ```ts
 * import { loadClip } from "@edgeclip/edgeclip";
 *
 * const clip = await loadClip("./clip-vit-base-patch32");
 * await clip.loadAdapter("./adapters/my_lora");
 * const top = await clip.classify(await Deno.readFile("cat.jpg"), ["cat", "dog"], {
 *   template: "clip-imagenet-7",
 *   adapters: "my_lora",
 * });
 * ```
 *
 * @module
 */

export { Clip, type LoadAdapterOptions } from "./src/api/clip.ts";
export { loadClip, type LoadClipOptions } from "./src/api/load.ts";
export type { ForwardInputs, ForwardOutputs } from "./src/api/forward.ts";
export type { ImageInput, ImageOptions } from "./src/api/images.ts";
export type { RawPixels } from "./src/image/pixels.ts";
export type { PreprocessVariant } from "./src/image/preprocess.ts";
export type { ClassifyOptions, LabelScore } from "./src/api/classify.ts";
export type { EmbedTextOptions } from "./src/api/text.ts";
export type { TokenizeOptions } from "./src/tokenizer/mod.ts";
export type { MemoryFile, MemoryFiles, Source, SourceOptions } from "./src/io/source.ts";
export type { Tower } from "./src/model/hooks.ts";
export type { HubOptions } from "./src/io/hub_repo.ts";
export type { OnProgress, ProgressEvent } from "./src/io/progress.ts";
export type { ClipArchitecture, ClipConfig, TextConfig, VisionConfig } from "./src/model/config.ts";
export type { Int8Precision } from "./src/model/q8_policy.ts";
export type { ActName as Activation } from "./src/wasm/abi.ts";
export { TEMPLATE_PRESETS } from "./src/api/templates.ts";
export { EdgeClipError, ERROR_CODES, type ErrorCode } from "./src/errors.ts";
export type { Tensor } from "./src/tensor.ts";
export { type KernelModules, setKernelModules } from "./src/wasm/module.ts";
export {
  type AdapterBlock,
  type AdapterBlockBase,
  type AdapterSetup,
  type AdapterSetupDict,
  adapterSetupFromDict,
  Average,
  type AverageBlock,
  BatchSplit,
  type BatchSplitBlock,
  type Callable,
  Fuse,
  type FuseBlock,
  type SizedAdapterBlock,
  Split,
  type SplitBlock,
  Stack,
  type StackBlock,
} from "./src/api/setup.ts";
