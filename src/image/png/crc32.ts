// CRC-32 (ISO 3309, as PNG chunk checksums use it), table-driven.

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 of `data[start, end)`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
