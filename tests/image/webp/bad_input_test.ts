// Damaged and hostile WebP input: every outcome is a decoded image or an EdgeClipError with a
// stable code, never another exception, and in bounded time. Truncations at every offset and
// seeded byte flips run over the fixtures; hand-made files hit the container and bitstream
// checks one by one.

import { ok, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { decodeWebp } from "../../../src/image/webp/mod.ts";
import { Prng } from "../../_util/prng.ts";
import { fixtureCases, readFixture } from "./_util.ts";

const limits = { maxPixels: 1 << 22 };

function outcome(bytes: Uint8Array): string {
  try {
    decodeWebp(bytes, limits);
    return "ok";
  } catch (e) {
    if (e instanceof EdgeClipError) return e.code;
    throw new Error(`not an EdgeClipError: ${e}`, { cause: e });
  }
}

const rejects = (bytes: Uint8Array, code: string, what: string) =>
  throws(
    () => decodeWebp(bytes, limits),
    (e) => e instanceof EdgeClipError && e.code === code,
    what,
  );

Deno.test("webp bad input: truncation at every offset fails with image_decode", () => {
  for (const c of fixtureCases()) {
    const b = readFixture(c.file);
    for (let n = 0; n < b.length; n++) {
      strictEqual(outcome(b.subarray(0, n)), "image_decode", `${c.file} cut at ${n}`);
    }
  }
});

Deno.test("webp bad input: byte flips decode or fail with an EdgeClipError, quickly", () => {
  const rng = new Prng(0xbad);
  let decoded = 0, failed = 0;
  for (const c of fixtureCases()) {
    const b = readFixture(c.file);
    for (let k = 0; k < 60; k++) {
      const d = b.slice();
      for (let j = rng.int(1, 4); j > 0; j--) d[rng.int(0, d.length - 1)] ^= 1 << rng.int(0, 7);
      const t0 = performance.now();
      const r = outcome(d);
      ok(performance.now() - t0 < 2000, `${c.file}: a damaged copy took too long`);
      if (r === "ok") decoded++;
      else {
        // A flipped size field may also make the image too large.
        ok(r === "image_decode" || r === "input_too_large", `${c.file}: ${r}`);
        failed++;
      }
    }
  }
  ok(decoded > 0 && failed > 0, `${decoded} decoded, ${failed} failed`);
});

// ---- hand-made files ------------------------------------------------------------------------

const ascii = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));
const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
const le24 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff];

function chunk(tag: string, payload: ArrayLike<number>): number[] {
  const p = Array.from(payload);
  return [...ascii(tag), ...le32(p.length), ...p, ...(p.length & 1 ? [0] : [])];
}

function riff(...chunks: number[][]): Uint8Array {
  const body = chunks.flat();
  return Uint8Array.from([...ascii("RIFF"), ...le32(4 + body.length), ...ascii("WEBP"), ...body]);
}

function vp8x(flags: number, w: number, h: number): number[] {
  return chunk("VP8X", [flags, 0, 0, 0, ...le24(w - 1), ...le24(h - 1)]);
}

/** A VP8L bitstream: header for w×h, then `bits` as [value, count] pairs, LSB first. */
function vp8l(w: number, h: number, bits: [number, number][]): number[] {
  const all: [number, number][] = [[0x2f, 8], [w - 1, 14], [h - 1, 14], [0, 1], [0, 3], ...bits];
  const out: number[] = [];
  let acc = 0, n = 0;
  for (const [v, c] of all) {
    for (let i = 0; i < c; i++) {
      acc |= ((v >> i) & 1) << n;
      if (++n === 8) out.push(acc), acc = n = 0;
    }
  }
  if (n) out.push(acc);
  return out;
}

/** The payload of a fixture's first chunk of type `tag`. */
function payloadOf(file: string, tag: string): Uint8Array {
  const b = readFixture(file);
  for (let p = 12; p + 8 <= b.length;) {
    const size = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    if (String.fromCharCode(...b.subarray(p, p + 4)) === tag) return b.slice(p + 8, p + 8 + size);
    p += 8 + size + (size & 1);
  }
  throw new Error(`${file} has no ${tag}`);
}

Deno.test("webp bad input: arguments and limits", () => {
  throws(
    () => decodeWebp([1, 2, 3] as unknown as Uint8Array, limits),
    (e) => e instanceof EdgeClipError && e.code === "invalid_input",
  );
  const img = readFixture("lossy_q80_33x65.webp");
  throws(
    () => decodeWebp(img, { maxPixels: 33 * 65 - 1 }),
    (e) => e instanceof EdgeClipError && e.code === "input_too_large",
  );
  strictEqual(decodeWebp(img, { maxPixels: 33 * 65 }).width, 33);
  // A 16384×16384 animation canvas holding a small frame is refused before pixels are allocated.
  const lossy = payloadOf("lossy_q80_33x65.webp", "VP8 ");
  const anmf = chunk("ANMF", [...new Array(12).fill(0), 0, 0, 0, 0, ...chunk("VP8 ", lossy)]);
  rejects(
    riff(vp8x(2, 16384, 16384), chunk("ANIM", [0, 0, 0, 0, 0, 0]), anmf),
    "input_too_large",
    "VP8X canvas",
  );
  rejects(
    riff(chunk("VP8L", vp8l(16384, 16384, []))),
    "input_too_large",
    "VP8L dimensions",
  );
});

Deno.test("webp bad input: container", () => {
  const lossy = payloadOf("lossy_q80_33x65.webp", "VP8 ");
  const good = riff(chunk("VP8 ", lossy));
  strictEqual(outcome(good), "ok");
  rejects(Uint8Array.from(ascii("RIFF\0\0\0\0WEBP")), "image_decode", "no chunks");
  const badRiff = good.slice();
  badRiff.set(le32(good.length), 4); // RIFF size larger than the file
  rejects(badRiff, "image_decode", "RIFF size");
  rejects(riff(chunk("JUNK", [1, 2, 3])), "image_decode", "first chunk");
  rejects(riff(vp8x(0xc1, 33, 65), chunk("VP8 ", lossy)), "image_decode", "unknown flags");
  rejects(riff(vp8x(0, 34, 65), chunk("VP8 ", lossy)), "image_decode", "canvas mismatch");
  rejects(riff(vp8x(0, 33, 65)), "image_decode", "no image chunk");
  // Animation: ANIM must precede ANMF, and the frame must fit the canvas.
  const anmf = (x: number) =>
    chunk("ANMF", [
      ...le24(x / 2),
      ...le24(0),
      ...le24(32),
      ...le24(64),
      ...le24(100),
      0,
      ...chunk("VP8 ", lossy),
    ]);
  const anim = chunk("ANIM", [0, 0, 0, 0, 0, 0]);
  strictEqual(outcome(riff(vp8x(2, 40, 65), anim, anmf(6))), "ok");
  rejects(riff(vp8x(2, 40, 65), anmf(6)), "image_decode", "no ANIM");
  rejects(riff(vp8x(2, 40, 65), anim, anmf(8)), "image_decode", "frame outside the canvas");
  rejects(riff(vp8x(2, 40, 65), anim), "image_decode", "animation without frames");
  // ALPH belongs to lossy images only.
  const ll = payloadOf("lossless_pal2_29x7.webp", "VP8L");
  rejects(
    riff(vp8x(0x10, 29, 7), chunk("ALPH", [0, 1, 2]), chunk("VP8L", ll)),
    "image_decode",
    "ALPH+VP8L",
  );
  // Broken ALPH headers and data.
  for (const a of [[], [0x04 | 0x40], [0x02], [0x00, 1, 2]]) {
    rejects(
      riff(vp8x(0x10, 33, 65), chunk("ALPH", a), chunk("VP8 ", lossy)),
      "image_decode",
      `ALPH ${a}`,
    );
  }
});

Deno.test("webp bad input: VP8 and VP8L headers", () => {
  const lossy = payloadOf("lossy_q80_33x65.webp", "VP8 ");
  const edit = (at: number, v: number) => {
    const d = lossy.slice();
    d[at] = v;
    return riff(chunk("VP8 ", d));
  };
  rejects(edit(0, lossy[0] | 1), "image_decode", "inter frame");
  rejects(edit(0, (lossy[0] & ~0x10) & 0xff), "image_decode", "invisible frame");
  rejects(edit(3, 0x9c), "image_decode", "start code");
  rejects(riff(chunk("VP8 ", lossy.subarray(0, 9))), "image_decode", "short frame header");
  const ll = payloadOf("lossless_pal2_29x7.webp", "VP8L");
  const llv = ll.slice();
  llv[4] |= 0x20; // version 1
  rejects(riff(chunk("VP8L", llv)), "image_decode", "VP8L version");
  llv[0] = 0x2e;
  rejects(riff(chunk("VP8L", llv)), "image_decode", "VP8L signature");
  // Repeated transform, colour cache of 12 bits, an all-zero prefix code.
  rejects(
    riff(chunk("VP8L", vp8l(4, 4, [[1, 1], [2, 2], [1, 1], [2, 2]]))),
    "image_decode",
    "transform twice",
  );
  rejects(riff(chunk("VP8L", vp8l(4, 4, [[0, 1], [1, 1], [12, 4]]))), "image_decode", "cache bits");
  rejects(
    riff(
      chunk(
        "VP8L",
        vp8l(4, 4, [[0, 1], [0, 1], [0, 1], [0, 1], [0, 4], [0, 3], [0, 3], [0, 3], [0, 3]]),
      ),
    ),
    "image_decode",
    "empty code-length code",
  );
});
