// Golden conformance of image preprocessing, driven by $CLIP_GOLDEN_DIR/images/index.json (every
// entry, public or held back). Per case, two routes:
// 1. From the golden `decoded_rgb` (RGB-mode cases): resize/crop/normalise alone, decoder-free.
//    Must be exact: crop bytes equal, pixel_values within 1e-6.
// 2. From the encoded file through `decodeImage` (src/image/decode.ts): decoded RGB vs
//    `decoded_rgb`, crop vs `crop_rgb`, pixel_values vs `expected`. Lossless formats (PNG, BMP, GIF)
//    and WebP: 1e-5. JPEG: decoders may differ from libjpeg-turbo by ±1 level; one level is
//    1/(255·std) = 0.0142–0.0150 after normalisation, so max |Δ| ≤ 0.02 (one level plus float slack)
//    and mean |Δ| ≤ 0.0075 (at most half the values off by a level).
// Both routes also check the HF variant (`hf_tensor`, or `expected` when `hf_equal`) and the EXIF
// option (`exif_transposed_tensor`) where the entry has them.

import { goldenPath } from "../_util/golden.ts";
import { gunzipFile as gunzip, readJson } from "../_util/files.ts";
import { decodeImage } from "../../src/image/decode.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { toRGB } from "../../src/image/convert.ts";
import { DEFAULT_PREPROCESS_CONFIG } from "../../src/image/preprocess_config.ts";
import {
  preprocessImage,
  type PreprocessOptions,
  preprocessToRgb,
} from "../../src/image/preprocess.ts";
import type { DecodedImage } from "../../src/image/types.ts";

interface FileRef {
  file: string;
}
interface ImageCase {
  id: string;
  file: string;
  format: string;
  mode: string;
  width: number;
  height: number;
  exif_orientation?: number;
  decoded_rgb?: FileRef & { shape: [number, number, number] };
  crop_rgb?: FileRef;
  expected: FileRef;
  hf_equal?: boolean;
  hf_tensor?: string | FileRef;
  exif_transposed_tensor?: string | FileRef;
}

const dir = goldenPath("images");
const index = dir ? goldenPath("images", "index.json") : null;
const cases: ImageCase[] = index ? readJson<{ images: ImageCase[] }>(index).images : [];

Deno.test({
  name: "golden images: images/index.json is present",
  ignore: index === null,
  fn() {
    if (cases.length === 0) throw new Error(`${index} lists no images`);
  },
});

// ---- fixtures ----------------------------------------------------------------------------

const fileOf = (r: string | FileRef) => `${dir}/${typeof r === "string" ? r : r.file}`;
const f32File = (r: string | FileRef) =>
  new Float32Array(Deno.readFileSync(fileOf(r)).slice().buffer);

async function goldenRgb(c: ImageCase): Promise<DecodedImage> {
  const ref = c.decoded_rgb!;
  const [h, w] = ref.shape;
  const data = await gunzip(fileOf(ref));
  if (data.length !== w * h * 3) {
    throw new Error(`${c.id}: decoded_rgb has ${data.length} B, want ${w * h * 3}`);
  }
  return {
    width: w,
    height: h,
    mode: "RGB",
    data,
    format: "RAW",
    exifOrientation: c.exif_orientation,
  };
}

// ---- comparison ---------------------------------------------------------------------------

interface Diff {
  max: number;
  mean: number;
}

function diff(got: ArrayLike<number>, want: ArrayLike<number>, what: string): Diff {
  if (got.length !== want.length) {
    throw new Error(`${what}: ${got.length} values, want ${want.length}`);
  }
  let max = 0, sum = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    sum += d;
  }
  return { max, mean: sum / got.length };
}

function check(what: string, d: Diff, maxTol: number, meanTol = maxTol): string | null {
  return d.max <= maxTol && d.mean <= meanTol
    ? null
    : `${what}: max|Δ| ${d.max.toPrecision(4)} (≤ ${maxTol}), mean|Δ| ${
      d.mean.toPrecision(4)
    } (≤ ${meanTol})`;
}

const fmt = (d: Diff) => `max ${d.max.toPrecision(3)} mean ${d.mean.toPrecision(3)}`;

/** pixel_values tolerance by format (see the header). */
function pvTolerance(c: ImageCase, fromGoldenRgb: boolean): [number, number] {
  if (fromGoldenRgb) return [1e-6, 1e-6];
  return c.format === "JPEG" ? [0.02, 0.0075] : [1e-5, 1e-5];
}

const kernels = Kernels.create();

/** Runs the pipeline (both variants, EXIF option) on `img` and compares every stage present. */
function compareAll(
  c: ImageCase,
  img: DecodedImage,
  fromGoldenRgb: boolean,
  notes: string[],
): string[] {
  const fails: string[] = [];
  const [maxTol, meanTol] = pvTolerance(c, fromGoldenRgb);
  const exactBytes = fromGoldenRgb || c.format !== "JPEG";
  const run = (o: PreprocessOptions) => preprocessImage(img, DEFAULT_PREPROCESS_CONFIG, kernels, o);

  if (c.crop_rgb) {
    const crop = preprocessToRgb(img, DEFAULT_PREPROCESS_CONFIG, kernels);
    const dc = diff(crop.rgb, Deno.readFileSync(fileOf(c.crop_rgb)), "crop_rgb");
    notes.push(`crop ${fmt(dc)}`);
    if (exactBytes && dc.max !== 0) fails.push(`crop_rgb: max|Δ| ${dc.max} levels (want exact)`);
  }

  const dp = diff(run({}), f32File(c.expected), "pixel_values");
  notes.push(`pv ${fmt(dp)}`);
  const e = check("pixel_values (openai)", dp, maxTol, meanTol);
  if (e) fails.push(e);

  const hfWant = c.hf_tensor ? f32File(c.hf_tensor) : c.hf_equal ? f32File(c.expected) : null;
  if (hfWant) {
    const dh = diff(run({ variant: "hf" }), hfWant, "hf");
    notes.push(`hf ${fmt(dh)}`);
    const e = check("pixel_values (hf)", dh, maxTol, meanTol);
    if (e) fails.push(e);
  }
  if (c.exif_transposed_tensor) {
    const dx = diff(run({ applyExif: true }), f32File(c.exif_transposed_tensor), "exif");
    notes.push(`exif ${fmt(dx)}`);
    const e = check("pixel_values (applyExif)", dx, maxTol, meanTol);
    if (e) fails.push(e);
  }
  return fails;
}

function report(name: string, notes: string[], fails: string[]): void {
  console.log(`  ${name}: ${notes.join("; ")}`);
  if (fails.length) throw new Error(`${name}:\n  ${fails.join("\n  ")}`);
}

// ---- route 1: from the golden decoded RGB -------------------------------------------------

// Only RGB images are resized in RGB by the reference; for other modes the native pixels (which
// decoded_rgb no longer has) decide the result, so only route 2 can check them.
for (const c of cases.filter((c) => c.mode === "RGB" && c.decoded_rgb)) {
  Deno.test({
    name: `golden image ${c.id}: from decoded_rgb (resize, crop, normalise)`,
    async fn() {
      const notes: string[] = [];
      report(c.id, notes, compareAll(c, await goldenRgb(c), true, notes));
    },
  });
}

// ---- route 2: decode the file -------------------------------------------------------------

for (const c of cases) {
  const name = `golden image ${c.id}: decode ${c.format} ${c.mode} + preprocess`;
  Deno.test(name, async () => {
    const img = await decodeImage(Deno.readFileSync(`${dir}/${c.file}`), { kernels });
    const notes: string[] = [];
    const fails: string[] = [];
    if (img.width !== c.width || img.height !== c.height || img.mode !== c.mode) {
      fails.push(
        `decoded ${img.width}×${img.height} ${img.mode}, want ${c.width}×${c.height} ${c.mode}`,
      );
    } else {
      if (c.decoded_rgb) {
        const dd = diff(toRGB(img), await gunzip(fileOf(c.decoded_rgb)), "decoded_rgb");
        notes.push(`decoded ${fmt(dd)}`);
        if (c.format !== "JPEG" && dd.max !== 0) {
          fails.push(`decoded RGB: max|Δ| ${dd.max} levels (want exact)`);
        }
      }
      if (c.exif_orientation !== undefined && (img.exifOrientation ?? 1) !== c.exif_orientation) {
        fails.push(`EXIF orientation ${img.exifOrientation}, want ${c.exif_orientation}`);
      }
      fails.push(...compareAll(c, img, false, notes));
    }
    report(c.id, notes, fails);
  });
}
