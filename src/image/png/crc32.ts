// CRC-32 (ISO 3309, as PNG chunk checksums use it), slicing-by-8: eight 256-entry tables let the
// loop fold 8 input bytes per step (about 3× the byte-at-a-time table loop).

const T = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  // Table k: the CRC register after k further zero bytes.
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const p = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (p >>> 8) ^ t[p & 255];
    }
  }
  return t;
})();

/** CRC-32 of `data[start, end)`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = -1, i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    const h = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c = T[1792 + (c & 255)] ^ T[1536 + ((c >>> 8) & 255)] ^ T[1280 + ((c >>> 16) & 255)] ^
      T[1024 + (c >>> 24)] ^ T[768 + (h & 255)] ^ T[512 + ((h >>> 8) & 255)] ^
      T[256 + ((h >>> 16) & 255)] ^ T[h >>> 24];
  }
  for (; i < end; i++) c = T[(c ^ data[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
