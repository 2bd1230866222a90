// Runs fixture files of the form written by the make_fixtures.py scripts: small encoded images and
// what Pillow 9.4.0 made of them (mode, size, native samples, palette, convert("RGB"), EXIF
// orientation, or the error it raised). Each case becomes one named Deno test.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { paletteLut, toRGB } from "../../../src/image/convert.ts";
import type { DecodedImage } from "../../../src/image/types.ts";

interface PillowResult {
  mode?: string;
  width?: number;
  height?: number;
  native?: string;
  rgb?: string;
  /** Large cases store digests instead of the bytes. */
  rgb_sha256?: string;
  native_sha256?: string;
  palette?: string;
  exif_orientation?: number;
  error?: string;
}

interface PillowCase {
  name: string;
  file: string;
  pillow: PillowResult;
  /** Set where edgeclip deliberately differs from Pillow: "error: why" or "mode X: why". */
  ours?: string;
}

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b.slice()));
  return Array.from(d, (v) => v.toString(16).padStart(2, "0")).join("");
}

/** Bytes of the decoded samples as Pillow's numpy view has them (int32 LE for mode I). */
function nativeBytes(img: DecodedImage): Uint8Array {
  const d = img.data;
  return d instanceof Int32Array ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : d;
}

/** Registers one test per case of `fixture` (a JSON file next to the caller). */
export function runPillowCases(
  fixture: URL,
  label: string,
  decode: (bytes: Uint8Array) => DecodedImage,
): void {
  const { cases } = JSON.parse(Deno.readTextFileSync(fixture)) as { cases: PillowCase[] };
  for (const c of cases) {
    const expectError = c.pillow.error !== undefined || c.ours?.startsWith("error");
    const why = c.ours ?? c.pillow.error ?? "";
    const oursMode = c.ours?.match(/^mode (\w+):/)?.[1];
    const note = expectError ? ` (refused: ${why})` : oursMode ? ` (${c.ours})` : "";
    Deno.test(`${label} vs Pillow 9.4: ${c.name}${note}`, async () => {
      const bytes = b64(c.file);
      if (expectError) {
        let err: unknown = null;
        try {
          decode(bytes);
        } catch (e) {
          err = e;
        }
        ok(err instanceof EdgeClipError, `expected EdgeClipError, got ${err}`);
        strictEqual(err.code, "image_decode", err.message);
        return;
      }
      const p = c.pillow;
      const img = decode(bytes);
      deepStrictEqual([img.mode, img.width, img.height], [oursMode ?? p.mode, p.width, p.height]);
      const rgb = toRGB(img);
      if (p.rgb_sha256) strictEqual(await sha256(rgb), p.rgb_sha256, "convert('RGB') digest");
      else deepStrictEqual(rgb, b64(p.rgb!), "convert('RGB')");
      if (!oursMode && p.native) deepStrictEqual(nativeBytes(img), b64(p.native), "native samples");
      if (!oursMode && p.native_sha256) {
        strictEqual(await sha256(nativeBytes(img)), p.native_sha256, "native samples digest");
      }
      if (p.palette) {
        deepStrictEqual(paletteLut(img.palette), paletteLut(b64(p.palette)), "palette");
      }
      strictEqual(img.exifOrientation, p.exif_orientation, "EXIF orientation");
    });
  }
}
