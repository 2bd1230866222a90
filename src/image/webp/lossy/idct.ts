// VP8 inverse DCT (RFC 6386 §14.3) as libwebp computes it (TransformOne): a vertical then a
// horizontal pass with the fixed-point multipliers 20091/65536 + 1 (√2·cos(π/8)) and 35468/65536
// (√2·sin(π/8)), the result (+4) >> 3 added to the prediction with clamping to 0..255.

const mul1 = (a: number) => ((a * 20091) >> 16) + a;
const mul2 = (a: number) => (a * 35468) >> 16;
const clip = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

const tmp = new Int32Array(16);

/**
 * Adds the inverse transform of `coeffs[off, off+16)` (raster order) to the 4x4 pixels of `dst`
 * at `o` (row stride `stride`).
 */
export function idctAdd(
  coeffs: Int16Array,
  off: number,
  dst: Uint8Array,
  o: number,
  stride: number,
): void {
  for (let i = 0; i < 4; i++) { // columns
    const i0 = coeffs[off + i], i4 = coeffs[off + 4 + i];
    const i8 = coeffs[off + 8 + i], i12 = coeffs[off + 12 + i];
    const a = i0 + i8;
    const b = i0 - i8;
    const c = mul2(i4) - mul1(i12);
    const d = mul1(i4) + mul2(i12);
    tmp[4 * i] = a + d;
    tmp[4 * i + 1] = b + c;
    tmp[4 * i + 2] = b - c;
    tmp[4 * i + 3] = a - d;
  }
  for (let i = 0; i < 4; i++) { // rows
    const dc = tmp[i] + 4;
    const a = dc + tmp[8 + i];
    const b = dc - tmp[8 + i];
    const c = mul2(tmp[4 + i]) - mul1(tmp[12 + i]);
    const d = mul1(tmp[4 + i]) + mul2(tmp[12 + i]);
    const r = o + i * stride;
    dst[r] = clip(dst[r] + ((a + d) >> 3));
    dst[r + 1] = clip(dst[r + 1] + ((b + c) >> 3));
    dst[r + 2] = clip(dst[r + 2] + ((b - c) >> 3));
    dst[r + 3] = clip(dst[r + 3] + ((a - d) >> 3));
  }
}

/** `idctAdd` for a block whose only non-zero coefficient is the DC (same result, faster). */
export function idctAddDc(
  coeffs: Int16Array,
  off: number,
  dst: Uint8Array,
  o: number,
  stride: number,
): void {
  const v = (coeffs[off] + 4) >> 3;
  for (let y = 0; y < 4; y++) {
    const r = o + y * stride;
    for (let x = 0; x < 4; x++) dst[r + x] = clip(dst[r + x] + v);
  }
}

/** Wraps to a signed 16-bit value. */
const w16 = (v: number) => (v << 16) >> 16;
/** Signed 16x16 → high 16 bits of the product (_mm_mulhi_epi16). */
const mulhi = (a: number, k: number) => (a * k) >> 16;

/**
 * `idctAdd` in 16-bit arithmetic as libwebp's SSE2 transform computes it (every sum wraps, the
 * multipliers are applied as x + mulhi(x, k - 65536)). Equal to `idctAdd` while intermediate
 * values fit in 16 bits, which holds for coefficients within ±2048.
 */
export function idctAdd16(
  coeffs: Int16Array,
  off: number,
  dst: Uint8Array,
  o: number,
  stride: number,
): void {
  for (let i = 0; i < 4; i++) {
    const i0 = coeffs[off + i], i4 = coeffs[off + 4 + i];
    const i8 = coeffs[off + 8 + i], i12 = coeffs[off + 12 + i];
    const a = w16(i0 + i8), b = w16(i0 - i8);
    const c = w16(w16(i4 - i12) + w16(mulhi(i4, -30068) - mulhi(i12, 20091)));
    const d = w16(w16(i4 + i12) + w16(mulhi(i4, 20091) + mulhi(i12, -30068)));
    tmp[4 * i] = w16(a + d);
    tmp[4 * i + 1] = w16(b + c);
    tmp[4 * i + 2] = w16(b - c);
    tmp[4 * i + 3] = w16(a - d);
  }
  for (let i = 0; i < 4; i++) {
    const dc = w16(tmp[i] + 4);
    const t1 = tmp[4 + i], t2 = tmp[8 + i], t3 = tmp[12 + i];
    const a = w16(dc + t2), b = w16(dc - t2);
    const c = w16(w16(t1 - t3) + w16(mulhi(t1, -30068) - mulhi(t3, 20091)));
    const d = w16(w16(t1 + t3) + w16(mulhi(t1, 20091) + mulhi(t3, -30068)));
    const r = o + i * stride;
    const v = [w16(a + d) >> 3, w16(b + c) >> 3, w16(b - c) >> 3, w16(a - d) >> 3];
    for (let x = 0; x < 4; x++) dst[r + x] = clip(w16(dst[r + x] + v[x]));
  }
}
