// decodeImage: data-driven golden check over $CLIP_GOLDEN_DIR/images/index.json (every entry, public
// or held back): format, mode and size must match Pillow's; PNG/GIF/BMP pixels must equal
// `decoded_rgb` exactly (JPEG/WebP pixel tolerances live in their decoders' tests and in
// tests/image/golden_test.ts). Plus signature sniffing and the errors for unknown input.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { toRGB } from "../../src/image/convert.ts";
import { decodeImage, sniffFormat } from "../../src/image/decode.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { goldenPath } from "../_util/golden.ts";
import { gunzipFile as gunzip, type ImageIndexEntry, readJson } from "../_util/files.ts";
import { encodePng } from "./png/png_encoder.ts";

type Entry = ImageIndexEntry;

const dir = goldenPath("images");
const index = dir ? goldenPath("images", "index.json") : null;
const entries: Entry[] = index ? readJson<{ images: Entry[] }>(index).images : [];
const kernels = Kernels.create();
/** Formats whose pixels must equal Pillow's exactly here. */
const EXACT = new Set(["PNG", "GIF", "BMP"]);

Deno.test({
  name: "golden decode: images/index.json is present and lists images",
  ignore: index === null,
  fn() {
    ok(entries.length > 0, `${index} lists no images`);
  },
});

for (const e of entries) {
  const exact = EXACT.has(e.format) && e.decoded_rgb !== undefined;
  const what = exact ? "pixels exact" : e.decoded_rgb ? "pixels: decoder tests" : "mode, size";
  const name = `golden decode ${e.id}: ${e.format} ${e.mode} ${e.width}×${e.height} (${what})`;
  Deno.test(name, async () => {
    const img = await decodeImage(Deno.readFileSync(`${dir}/${e.file}`), { kernels });
    deepStrictEqual([img.format, img.mode, img.width, img.height], [
      e.format,
      e.mode,
      e.width,
      e.height,
    ]);
    if (e.exif_orientation != null) {
      strictEqual(img.exifOrientation, e.exif_orientation, "EXIF orientation");
    }
    if (!exact) return;
    const want = await gunzip(`${dir}/${e.decoded_rgb!.file}`);
    const got = toRGB(img);
    strictEqual(got.length, want.length, "decoded RGB size");
    let diff = 0, first = -1;
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) {
        diff++;
        if (first < 0) first = i;
      }
    }
    strictEqual(diff, 0, `${diff} bytes differ from Pillow's decode, first at ${first}`);
  });
}

const bytes = (...v: (number | string)[]) =>
  Uint8Array.from(
    v.flatMap((x) => (typeof x === "string" ? Array.from(x, (c) => c.charCodeAt(0)) : [x])),
  );

/** A decodeImage test (the callback gets the decoder and the sniffer). */
function withDecode(
  name: string,
  fn: (decode: typeof decodeImage, sniff: typeof sniffFormat) => void | Promise<void>,
) {
  Deno.test(name, async () => await fn(decodeImage, sniffFormat));
}

withDecode("sniffFormat: signatures", (_d, sniff) => {
  strictEqual(sniff(bytes(0x89, "PNG\r\n", 0x1a, "\n")), "PNG");
  strictEqual(sniff(bytes(0xff, 0xd8, 0xff, 0xe0)), "JPEG");
  strictEqual(sniff(bytes("GIF87a")), "GIF");
  strictEqual(sniff(bytes("GIF89a")), "GIF");
  strictEqual(sniff(bytes("BM", 0, 0)), "BMP");
  strictEqual(sniff(bytes("RIFF", 0, 0, 0, 0, "WEBP")), "WEBP");
  for (
    const b of [
      bytes(),
      bytes("GIF88a"),
      bytes("RIFF", 0, 0, 0, 0, "WAVE"),
      bytes(0xff, 0xd8),
      bytes(0x89, "PNG"),
    ]
  ) {
    strictEqual(sniff(b), null);
  }
});

withDecode("decodeImage: unknown formats name what the bytes look like", async (decode) => {
  const says = (b: Uint8Array, what: RegExp) =>
    rejects(
      decode(b, { kernels }),
      (e: unknown) =>
        e instanceof EdgeClipError && e.code === "image_decode" && what.test(e.message),
    );
  await says(bytes(), /empty/);
  await says(bytes("II*", 0, 8, 0, 0, 0), /TIFF.*49 49 2a 00/);
  await says(bytes(0, 0, 0, 0x18, "ftypheic", 0, 0, 0, 0), /HEIF/);
  await says(bytes(0, 0, 0, 0x18, "ftypavif"), /AVIF/);
  await says(bytes("<!DOCTYPE html><html>"), /markup/);
  await says(bytes("iVBORw0KGgoAAAANSUhEUg=="), /base64/);
  await says(bytes("RIFF", 1, 0, 0, 0, "WAVEfmt "), /RIFF/);
  await says(bytes(1, 2, 3), /first bytes: 01 02 03/);
});

withDecode("decodeImage: dispatches with limits; rejects bad arguments", async (decode) => {
  const png = encodePng({
    width: 3,
    height: 2,
    bitDepth: 8,
    colorType: 0,
    samples: [1, 2, 3, 4, 5, 6],
  });
  deepStrictEqual((await decode(png, { kernels })).data, Uint8Array.of(1, 2, 3, 4, 5, 6));
  const tooLarge = (e: unknown) => e instanceof EdgeClipError && e.code === "input_too_large";
  await rejects(decode(png, { kernels, limits: { maxPixels: 5 } }), tooLarge);
  const invalid = (e: unknown) => e instanceof EdgeClipError && e.code === "invalid_input";
  await rejects(decode(png.buffer as unknown as Uint8Array, { kernels }), invalid);
  await rejects(decode(png, { kernels, limits: { maxPixels: 0 } }), invalid);
});
