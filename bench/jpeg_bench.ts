// JPEG decoding speed (src/image/jpeg/mod.ts).
//   deno bench --allow-read --allow-env bench/jpeg_bench.ts
// Inputs: the committed 640×480 q94 4:2:0 photo-like fixture; a 4000×3000 baseline JPEG (q90,
// 4:2:0) made here by tiling that fixture's decoded pixels and encoding them with the test encoder
// of _encoders.ts; and, when present, every *.jpg in $JPEG_BENCH_DIR (default
// /tmp/edgeclip_jpeg_bench) — e.g. progressive or 4:4:4 files written with Pillow:
//   python3 -c "from PIL import Image; Image.open('x.png').save('/tmp/edgeclip_jpeg_bench/p.jpg',
//   quality=90, progressive=True)"
// Groups compare the whole decode with its stages on the same file (entropy decoding alone, and
// the TypeScript reference entropy decoder the wasm one replaced).

import { encodeJpeg } from "./_encoders.ts";
import { decodeJpeg } from "../src/image/jpeg/mod.ts";
import { ScanDecoder } from "../src/image/jpeg/entropy.ts";
import { parseJpeg } from "../src/image/jpeg/markers.ts";
import { unstuffScan } from "../src/image/jpeg/scan_data.ts";
import { allocEntropyArena, intervalsOf, WasmScanDecoder } from "../src/image/jpeg/wasm_entropy.ts";
import { toRGB } from "../src/image/convert.ts";
import { Kernels } from "../src/wasm/kernels.ts";

const kernels = Kernels.create();
const limits = { maxPixels: 1 << 30 };

const fixture = Deno.readFileSync(
  new URL("../tests/image/jpeg/fixtures/photo_640x480.jpg", import.meta.url),
);

/** W×H RGB made of mirrored tiles of the fixture's pixels (no seams for the encoder). */
function tiled(w: number, h: number): Uint8Array {
  const src = toRGB(decodeJpeg(fixture, limits, kernels)), sw = 640, sh = 480;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const ty = Math.floor(y / sh), sy = ty & 1 ? sh - 1 - (y % sh) : y % sh;
    for (let x = 0; x < w; x++) {
      const tx = Math.floor(x / sw), sx = tx & 1 ? sw - 1 - (x % sw) : x % sw;
      out.set(src.subarray((sy * sw + sx) * 3, (sy * sw + sx) * 3 + 3), (y * w + x) * 3);
    }
  }
  return out;
}

const inputs: { name: string; bytes: Uint8Array; n: number }[] = [
  { name: "640x480 photo q94 4:2:0", bytes: fixture, n: 50 },
  { name: "4000x3000 tiled q90 4:2:0", bytes: encodeJpeg(tiled(4000, 3000), 4000, 3000, 90), n: 5 },
];
const extraDir = Deno.env.get("JPEG_BENCH_DIR") ?? "/tmp/edgeclip_jpeg_bench";
try {
  for (const e of Deno.readDirSync(extraDir)) {
    if (e.isFile && e.name.endsWith(".jpg")) {
      inputs.push({ name: e.name, bytes: Deno.readFileSync(`${extraDir}/${e.name}`), n: 5 });
    }
  }
} catch {
  console.warn(`no extra inputs: ${extraDir} is absent (see the header of this file)`);
}

/** Entropy decoding of every scan into whole-image coefficient arrays. */
function entropyWasm(bytes: Uint8Array): void {
  const file = parseJpeg(bytes, limits), f = file.frame;
  kernels.scratch(() => {
    const coefs = f.components.map((c) => kernels.zeros("i16", c.blocksW * c.blocksH * 64));
    const arena = allocEntropyArena(kernels, f, file.scans);
    for (const s of file.scans) {
      new WasmScanDecoder(arena, bytes, f, s, coefs).decodeRows(0, f.mcusY, 0);
    }
  });
}

function entropyTs(bytes: Uint8Array): void {
  const file = parseJpeg(bytes, limits), f = file.frame;
  const coefs = f.components.map((c) => new Int16Array(c.blocksW * c.blocksH * 64));
  for (const s of file.scans) {
    const buf = new Uint8Array(s.end - s.start);
    const sd = unstuffScan(bytes, s.start, s.end, buf, intervalsOf(f, s));
    new ScanDecoder(f, s, buf, sd).decodeRows(0, f.mcusY, { coefs, rowBase: 0 });
  }
}

for (const { name, bytes, n } of inputs) {
  const { width, height } = parseJpeg(bytes, limits).frame;
  const mb = (bytes.length / 1e6).toFixed(2);
  const group = `${name} (${width}×${height}, ${mb} MB)`;
  Deno.bench({
    name: `decodeJpeg ${name}`,
    group,
    baseline: true,
    n,
    fn: () => void decodeJpeg(bytes, limits, kernels),
  });
  Deno.bench({ name: `entropy only (wasm) ${name}`, group, n, fn: () => entropyWasm(bytes) });
  Deno.bench({ name: `entropy only (TS reference) ${name}`, group, n, fn: () => entropyTs(bytes) });
}
