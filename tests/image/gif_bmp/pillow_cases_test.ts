// GIF and BMP files (frames, palettes, transparency, LZW corner cases, every BMP header, depth,
// bitfields layout and RLE escape) against Pillow 9.4.0's decode of the same bytes
// (fixtures/make_fixtures.py).

import { decodeBmp } from "../../../src/image/bmp.ts";
import { decodeGif } from "../../../src/image/gif.ts";
import { runPillowCases } from "../png/_pillow_cases.ts";

const here = (f: string) => new URL(`fixtures/${f}`, import.meta.url);
runPillowCases(here("gif_frames.json"), "GIF", (b) => decodeGif(b));
runPillowCases(here("gif_lzw.json"), "GIF", (b) => decodeGif(b));
runPillowCases(here("bmp_raw.json"), "BMP", (b) => decodeBmp(b));
runPillowCases(here("bmp_rle_errors.json"), "BMP", (b) => decodeBmp(b));
