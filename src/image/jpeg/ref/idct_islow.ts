// Reference for assembly/jpeg_idct.ts: libjpeg-turbo 2.1's accurate integer inverse DCT
// (jidctint.c jpeg_idct_islow, the 8-bit build), step for step. Intermediates are exact as in C's
// 64-bit JLONG (doubles hold them exactly); the pass-1 workspace is a C int (wraps to 32 bits) and
// the output goes through libjpeg's post-IDCT range-limit table (index masked to 10 bits).

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** DESCALE(x, n): x / 2ⁿ rounded half up, as an arithmetic shift on an exact integer. */
const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/**
 * libjpeg's post-IDCT range limit: `range_limit[x & 1023]` with the table centred on 128, i.e.
 * x in [−128, 127] → x + 128, [128, 511] → 255, [512, 895] → 0, [−512, −129] → 0 (mod 1024).
 */
export function idctRangeLimit(x: number): number {
  const t = ((x | 0) + 128) & 1023;
  return t < 256 ? t : t < 640 ? 255 : 0;
}

/** The even/odd butterfly shared by both passes: 8 inputs → 8 outputs before descaling. */
function butterfly(
  i0: number,
  i1: number,
  i2: number,
  i3: number,
  i4: number,
  i5: number,
  i6: number,
  i7: number,
  out: Float64Array,
): void {
  // even part (rotator sqrt(2)·c(−6))
  let z2 = i2, z3 = i6;
  let z1 = (z2 + z3) * FIX_0_541196100;
  let tmp2 = z1 + z3 * -FIX_1_847759065;
  let tmp3 = z1 + z2 * FIX_0_765366865;
  let tmp0 = (i0 + i4) * 2 ** CONST_BITS;
  let tmp1 = (i0 - i4) * 2 ** CONST_BITS;
  const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
  // odd part
  tmp0 = i7;
  tmp1 = i5;
  tmp2 = i3;
  tmp3 = i1;
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * FIX_1_175875602;
  tmp0 *= FIX_0_298631336;
  tmp1 *= FIX_2_053119869;
  tmp2 *= FIX_3_072711026;
  tmp3 *= FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  out[0] = tmp10 + tmp3;
  out[7] = tmp10 - tmp3;
  out[1] = tmp11 + tmp2;
  out[6] = tmp11 - tmp2;
  out[2] = tmp12 + tmp1;
  out[5] = tmp12 - tmp1;
  out[3] = tmp13 + tmp0;
  out[4] = tmp13 - tmp0;
}

/**
 * Dequantises one block (`coefs[off..off+64)`, natural order) with `q` (natural order, 16-bit
 * signed as libjpeg keeps it) and writes 8×8 samples to `out` at `outOff` with row `stride`.
 */
export function idctIslowRef(
  coefs: Int16Array,
  off: number,
  q: Int32Array,
  out: Uint8Array,
  outOff: number,
  stride: number,
): void {
  const ws = new Int32Array(64);
  const t = new Float64Array(8);
  for (let c = 0; c < 8; c++) {
    const z = (k: number) => coefs[off + 8 * k + c] * q[8 * k + c];
    // The DC-only shortcut of jidctint.c gives the same values as the full pass; kept for fidelity.
    let acZero = true;
    for (let k = 1; k < 8; k++) if (coefs[off + 8 * k + c] !== 0) acZero = false;
    if (acZero) {
      const dc = (z(0) * 4) | 0;
      for (let k = 0; k < 8; k++) ws[8 * k + c] = dc;
      continue;
    }
    butterfly(z(0), z(1), z(2), z(3), z(4), z(5), z(6), z(7), t);
    for (let k = 0; k < 8; k++) ws[8 * k + c] = descale(t[k], CONST_BITS - PASS1_BITS) | 0;
  }
  for (let r = 0; r < 8; r++) {
    const w = (k: number) => ws[8 * r + k];
    const o = outOff + r * stride;
    if (
      w(1) === 0 && w(2) === 0 && w(3) === 0 && w(4) === 0 && w(5) === 0 && w(6) === 0 &&
      w(7) === 0
    ) {
      out.fill(idctRangeLimit(descale(w(0), PASS1_BITS + 3)), o, o + 8);
      continue;
    }
    butterfly(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7), t);
    for (let k = 0; k < 8; k++) {
      out[o + k] = idctRangeLimit(descale(t[k], CONST_BITS + PASS1_BITS + 3));
    }
  }
}
