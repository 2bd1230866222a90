// Offline conversion of a Hugging Face CLIP checkpoint into an edgeclip int8 package.
//   deno task convert --from HF_DIR --to OUT.safetensors [--towers both|text|vision]

export { convertClip, convertClipToBytes, type ConvertReport, sha256Of } from "./write.ts";
export type { QuantizeOptions } from "./quantize.ts";
export {
  checkPackage,
  isPackage,
  META,
  PACKAGE_LAYOUT,
  PACKAGE_VERSION,
  type Towers,
} from "./package.ts";
