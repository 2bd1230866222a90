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
  palette?: string;
  exif_orientation?: number;
  error?: string;
}

interface PillowCase {
  name: string;
  file: string;
  pillow: PillowResult;
  /** Set where edgeclip deliberately differs from Pillow: "error: why". */
  ours?: string;
}

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

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
    Deno.test(`${label} vs Pillow 9.4: ${c.name}${expectError ? ` (refused: ${why})` : ""}`, () => {
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
      deepStrictEqual([img.mode, img.width, img.height], [p.mode, p.width, p.height]);
      deepStrictEqual(toRGB(img), b64(p.rgb!), "convert('RGB')");
      if (p.native) deepStrictEqual(nativeBytes(img), b64(p.native), "native samples");
      if (p.palette) {
        deepStrictEqual(paletteLut(img.palette), paletteLut(b64(p.palette)), "palette");
      }
      strictEqual(img.exifOrientation, p.exif_orientation, "EXIF orientation");
    });
  }
}
