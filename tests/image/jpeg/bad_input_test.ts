// Damaged and hostile JPEGs: every failure is an EdgeClipError with a stable code (never another
// exception, never a hang), the pixel limit is enforced before pixel memory is allocated, and
// what libjpeg-turbo accepts without complaint (missing EOI after a complete single scan,
// missing Huffman tables in baseline files) decodes as Pillow decodes it.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { decodeJpeg } from "../../../src/image/jpeg/mod.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { forAll } from "../../_util/property.ts";
import { concat, headerSegments, readFixture, sofPayload, withoutSegments } from "./_util.ts";

const k = Kernels.create();
const limits = { maxPixels: 1 << 24 };
const decode = (b: Uint8Array, l = limits) => decodeJpeg(b, l, k);

/** Runs `fn`; it must succeed or throw EdgeClipError with one of `codes`. */
function decodesOrRejects(b: Uint8Array, codes = ["image_decode"]): "ok" | string {
  try {
    decode(b);
    return "ok";
  } catch (e) {
    if (!(e instanceof EdgeClipError)) throw new Error(`non-EdgeClipError: ${e}`, { cause: e });
    if (!codes.includes(e.code)) throw new Error(`unexpected code ${e.code}: ${e.message}`);
    return e.code;
  }
}

function rejects(b: Uint8Array, code: string, msg?: RegExp) {
  throws(() => decode(b), (e) => {
    ok(e instanceof EdgeClipError, String(e));
    strictEqual(e.code, code, e.message);
    if (msg) ok(msg.test(e.message), e.message);
    return true;
  });
}

const eoiAt = (b: Uint8Array) => b.lastIndexOf(0xd9) - 1;

for (
  const name of [
    "base420_33x33_rst.jpg",
    "prog420_17x9.jpg",
    "grey_prog_rst_45x30.jpg",
    "ycck_prog_sub_30x22.jpg",
    "base422_40x24.jpg",
  ]
) {
  Deno.test(`truncated at every offset: ${name}`, () => {
    const b = readFixture(name), full = decode(b).data;
    const progressive = headerSegments(b).some((s) => s.marker === 0xc2);
    const eoi = eoiAt(b);
    for (let cut = 0; cut < b.length; cut++) {
      const part = b.subarray(0, cut);
      if (cut < eoi || progressive) {
        // every byte before EOI carries data; multi-scan files also need EOI itself
        rejects(part, "image_decode");
      } else {
        // libjpeg finishes a single-scan image whose data is complete even without EOI
        deepStrictEqual(decode(part).data, full, `cut at ${cut}`);
      }
    }
  });
}

Deno.test("truncated photo: cuts through the scan data are rejected quickly", () => {
  const b = readFixture("photo_640x480.jpg");
  const t0 = performance.now();
  for (let cut = 600; cut < b.length - 2; cut += 997) rejects(b.subarray(0, cut), "image_decode");
  ok(performance.now() - t0 < 5000);
});

Deno.test("random byte flips: decode or EdgeClipError, never anything else", () => {
  const files = [
    "base420_33x33_rst.jpg",
    "prog420_17x9.jpg",
    "ycck_prog_sub_30x22.jpg",
    "smooth_unrefined_42x26.jpg",
    "mixed_2x2_1x2_2x1_23x29.jpg",
    "q5_16bit_sof1_40x40.jpg",
  ].map(readFixture);
  const outcomes: Record<string, number> = {};
  forAll("flips", 1500, (rng) => {
    const b = rng.pick(files).slice();
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) {
      const at = rng.int(2, b.length - 1);
      b[at] = rng.next() < 0.5 ? rng.int(0, 255) : b[at] ^ (1 << rng.int(0, 7));
    }
    return b;
  }, (b) => {
    const r = decodesOrRejects(b, ["image_decode", "input_too_large"]);
    outcomes[r] = (outcomes[r] ?? 0) + 1;
  }, (b) => `${b.length} bytes`);
  ok(outcomes.ok > 0 && outcomes.image_decode > 0, JSON.stringify(outcomes));
});

Deno.test("dimensions: zero, over 65500, over the pixel limit (before allocating)", () => {
  const b = readFixture("base422_40x24.jpg"), p = sofPayload(b);
  const withSize = (w: number, h: number) => {
    const c = b.slice();
    c[p + 1] = h >> 8, c[p + 2] = h & 255, c[p + 3] = w >> 8, c[p + 4] = w & 255;
    return c;
  };
  rejects(withSize(0, 24), "image_decode", /empty image/);
  rejects(withSize(40, 0), "image_decode", /empty image/);
  rejects(withSize(65535, 10), "image_decode", /65500/);
  const before = k.memoryStats.peak;
  rejects(withSize(60000, 60000), "input_too_large");
  throws(
    () => decode(b, { maxPixels: 40 * 24 - 1 }),
    (e) => e instanceof EdgeClipError && e.code === "input_too_large",
  );
  strictEqual(k.memoryStats.peak, before, "no memory was allocated");
  // a large declared image with a few bytes of data fails before allocating its planes
  rejects(withSize(4000, 4000), "image_decode", /too short/);
  strictEqual(k.memoryStats.peak, before);
});

Deno.test("missing tables", () => {
  const base = readFixture("base422_40x24.jpg"); // Pillow writes the Annex K Huffman tables
  rejects(withoutSegments(base, 0xdb), "image_decode", /quantization table/);
  // libjpeg-turbo installs the standard tables in empty slots (Motion-JPEG frames omit them)
  deepStrictEqual(decode(withoutSegments(base, 0xc4)).data, decode(base).data);
  // progressive files get no default tables
  rejects(withoutSegments(readFixture("prog420_17x9.jpg"), 0xc4), "image_decode", /Huffman table/);
  // a scan naming a table slot nobody defined
  const b = base.slice(), sos = headerSegments(b).find((s) => s.marker === 0xda)!;
  b[sos.start + 6] = 0x33; // component 1 uses DC/AC tables 3
  rejects(b, "image_decode", /Huffman table/);
});

Deno.test("unsupported processes are named", () => {
  const b = readFixture("base422_40x24.jpg");
  const sof = headerSegments(b).find((s) => s.marker === 0xc0)!;
  const as = (m: number) => {
    const c = b.slice();
    c[sof.start + 1] = m;
    return c;
  };
  rejects(as(0xc9), "image_decode", /arithmetic-coded sequential/);
  rejects(as(0xca), "image_decode", /arithmetic-coded progressive/);
  rejects(as(0xc3), "image_decode", /lossless/);
  rejects(as(0xc5), "image_decode", /differential/);
  const p12 = b.slice();
  p12[sofPayload(b)] = 12;
  rejects(p12, "image_decode", /12-bit/);
  const two = b.slice();
  two[sofPayload(b) + 5] = 2;
  rejects(two, "image_decode");
});

Deno.test("hostile marker streams end quickly", () => {
  const t0 = performance.now();
  const soi = Uint8Array.of(0xff, 0xd8);
  rejects(concat([soi, new Uint8Array(1 << 20).fill(0xff)]), "image_decode");
  const com = Uint8Array.of(0xff, 0xfe, 0xff, 0xff, ...new Array(0xfffd).fill(0x41));
  rejects(concat([soi, ...new Array(64).fill(com)]), "image_decode");
  rejects(concat([soi, new Uint8Array(1 << 20)]), "image_decode"); // no markers at all
  rejects(Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0x00, 0x01), "image_decode", /segment length/);
  rejects(Uint8Array.of(0xff, 0xd8, 0xff, 0xd8), "image_decode", /SOI/);
  rejects(Uint8Array.of(0xff, 0xd8, 0xff, 0x02, 0, 4, 0, 0), "image_decode", /unknown marker/);
  rejects(new Uint8Array(0), "image_decode");
  ok(performance.now() - t0 < 3000);
});

Deno.test("a file with very many scans is rejected quickly", () => {
  // a progressive file whose first scan (SOS segment and data) is repeated 400 times
  const b = readFixture("grey_prog_rst_45x30.jpg");
  const sos = headerSegments(b).at(-1)!;
  const scanEnd = b.indexOf(0xff, b.indexOf(0xda, sos.start) + 1);
  const scan = b.subarray(sos.start, scanEnd);
  const file = [b.subarray(0, sos.start), ...new Array(400).fill(scan), Uint8Array.of(0xff, 0xd9)];
  const t0 = performance.now();
  rejects(concat(file), "image_decode", /more than 300 scans/);
  ok(performance.now() - t0 < 2000);
});

Deno.test("restart markers out of sequence are corrupt data", () => {
  const b = readFixture("base420_33x33_rst.jpg");
  const rst = [];
  for (let i = headerSegments(b).at(-1)!.end; i + 1 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7) rst.push(i);
  }
  ok(rst.length >= 8);
  const swapped = b.slice();
  swapped[rst[2] + 1] = swapped[rst[3] + 1];
  rejects(swapped, "image_decode", /restart marker/);
  const dropped = concat([b.subarray(0, rst[4]), b.subarray(rst[4] + 2)]);
  rejects(dropped, "image_decode");
});

Deno.test("fill bytes and stray data between segments are skipped as libjpeg does", () => {
  const b = readFixture("base422_40x24.jpg"), segs = headerSegments(b);
  const dqt = segs.find((s) => s.marker === 0xdb)!;
  const padded = concat([
    b.subarray(0, dqt.start),
    Uint8Array.of(0x00, 0x12, 0xff, 0xff),
    b.subarray(dqt.start),
  ]);
  deepStrictEqual(decode(padded).data, decode(b).data);
});
