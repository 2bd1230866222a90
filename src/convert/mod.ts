// Offline conversion of a Hugging Face CLIP checkpoint into an edgeclip int8 package.
//   deno task convert --from HF_DIR --to OUT.safetensors [--towers both|text|vision]
//     [--adapter DIR --merge]

export {
  convertClip,
  convertClipToBytes,
  type ConvertOptions,
  type ConvertReport,
  sha256Of,
} from "./convert.ts";
