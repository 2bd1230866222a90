// Reference for assembly/jpeg_upsample.ts: libjpeg-turbo 2.1's chroma upsampling (jdsample.c),
// one output row at a time. The triangle ("fancy") filters weight the nearer sample 3/4 and
// alternate their rounding bias so that halves do not all round the same way.

/** h2v1_fancy_upsample: `dw` (> 2) samples → 2·dw. */
export function h2v1FancyRef(inp: Uint8Array, ip: number, dw: number, out: Uint8Array, op: number) {
  out[op] = inp[ip];
  out[op + 1] = (inp[ip] * 3 + inp[ip + 1] + 2) >> 2;
  for (let i = 1; i < dw - 1; i++) {
    const v = inp[ip + i] * 3;
    out[op + 2 * i] = (v + inp[ip + i - 1] + 1) >> 2;
    out[op + 2 * i + 1] = (v + inp[ip + i + 1] + 2) >> 2;
  }
  const last = inp[ip + dw - 1];
  out[op + 2 * dw - 2] = (last * 3 + inp[ip + dw - 2] + 1) >> 2;
  out[op + 2 * dw - 1] = last;
}

/**
 * h2v2_fancy_upsample for one output row: `near` is the input row it lies in, `far` the row above
 * (upper output row) or below (lower output row). `dw` (> 2) samples → 2·dw.
 */
export function h2v2FancyRef(
  near: Uint8Array,
  np: number,
  far: Uint8Array,
  fp: number,
  dw: number,
  out: Uint8Array,
  op: number,
) {
  const col = (i: number) => near[np + i] * 3 + far[fp + i];
  let cur = col(0), next = col(1), last: number;
  out[op] = (cur * 4 + 8) >> 4;
  out[op + 1] = (cur * 3 + next + 7) >> 4;
  last = cur;
  cur = next;
  for (let i = 1; i < dw - 1; i++) {
    next = col(i + 1);
    out[op + 2 * i] = (cur * 3 + last + 8) >> 4;
    out[op + 2 * i + 1] = (cur * 3 + next + 7) >> 4;
    last = cur;
    cur = next;
  }
  out[op + 2 * dw - 2] = (cur * 3 + last + 8) >> 4;
  out[op + 2 * dw - 1] = (cur * 4 + 7) >> 4;
}

/** h1v2_fancy_upsample for one output row: bias 1 with the row above, 2 with the row below. */
export function h1v2FancyRef(
  near: Uint8Array,
  np: number,
  far: Uint8Array,
  fp: number,
  dw: number,
  bias: 1 | 2,
  out: Uint8Array,
  op: number,
) {
  for (let i = 0; i < dw; i++) out[op + i] = (near[np + i] * 3 + far[fp + i] + bias) >> 2;
}

/** int_upsample / h2v1_upsample horizontally: each sample repeated `hExpand` times, `outW` out. */
export function boxRowRef(
  inp: Uint8Array,
  ip: number,
  outW: number,
  hExpand: number,
  out: Uint8Array,
  op: number,
) {
  for (let x = 0; x < outW; x++) out[op + x] = inp[ip + Math.floor(x / hExpand)];
}
