// A bounds-checked reader for the ZIP archives PyTorch writes (torch.save's zip format): the
// central directory is parsed, every entry's local header checked, and only stored
// (uncompressed) entries are returned — PyTorch never compresses. ZIP64 sizes and offsets are
// understood. Every failure is an EdgeClipError("adapter_format") naming the file and the problem.

import { EdgeClipError } from "../errors.ts";

/** One stored entry: its name and its bytes (a view into the archive). */
export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOC = 0x04034b50;
const U32_MAX = 0xffffffff;

function fail(file: string, msg: string): never {
  throw new EdgeClipError("adapter_format", `${file}: ${msg}`, { file });
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3), as ZIP stores it. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Reads every entry of a ZIP archive held in memory. */
export function readZip(bytes: Uint8Array, file = "zip"): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const u16 = (p: number) => {
    if (p < 0 || p + 2 > n) fail(file, `truncated (read at ${p} past ${n} bytes)`);
    return dv.getUint16(p, true);
  };
  const u32 = (p: number) => {
    if (p < 0 || p + 4 > n) fail(file, `truncated (read at ${p} past ${n} bytes)`);
    return dv.getUint32(p, true);
  };
  const u64 = (p: number) => {
    const v = u32(p) + u32(p + 4) * 2 ** 32;
    if (!Number.isSafeInteger(v)) fail(file, "a 64-bit size does not fit");
    return v;
  };

  // End of central directory: the last 22+ bytes (a comment of up to 65535 bytes may follow)
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 65535); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) === n) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail(file, "not a ZIP archive (no end-of-central-directory record; truncated?)");
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOff = u32(eocd + 16);
  if (count === 0xffff || cdSize === U32_MAX || cdOff === U32_MAX) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== SIG_LOC64) fail(file, "ZIP64 locator missing");
    const e64 = u64(loc + 8);
    if (u32(e64) !== SIG_EOCD64) fail(file, "ZIP64 end record missing");
    count = u64(e64 + 32);
    cdSize = u64(e64 + 40);
    cdOff = u64(e64 + 48);
  }
  if (cdOff + cdSize > n) fail(file, "central directory lies past the end of the file (truncated)");
  if (count > cdSize / 46) fail(file, `central directory cannot hold ${count} entries`);

  const out: ZipEntry[] = [];
  const names = new Set<string>();
  let p = cdOff;
  for (let i = 0; i < count; i++) {
    if (u32(p) !== SIG_CEN) fail(file, `central directory entry ${i} is corrupt`);
    const flags = u16(p + 8), method = u16(p + 10), crc = u32(p + 16);
    let csize = u32(p + 20), usize = u32(p + 24);
    const nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
    let local = u32(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cdOff + cdSize) {
      fail(file, `central directory entry ${i} overruns the directory`);
    }
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 0xFFFFFFFF fields, in order usize, csize, offset
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(e), len = u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (usize === U32_MAX) (usize = u64(q)), (q += 8);
        if (csize === U32_MAX) (csize = u64(q)), (q += 8);
        if (local === U32_MAX) local = u64(q);
      }
      e += 4 + len;
    }
    if (flags & 1) fail(file, `entry ${name} is encrypted`);
    if (method !== 0) {
      fail(file, `entry ${name} is compressed (method ${method}); PyTorch files store entries raw`);
    }
    if (csize !== usize) fail(file, `entry ${name}: stored sizes differ (${csize} vs ${usize})`);
    if (u32(local) !== SIG_LOC) fail(file, `entry ${name}: local header missing or corrupt`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + csize > n) fail(file, `entry ${name} extends past the end of the file (truncated)`);
    const data = bytes.subarray(start, start + csize);
    if (crc32(data) !== crc) fail(file, `entry ${name}: CRC mismatch (corrupted data)`);
    if (names.has(name)) fail(file, `entry ${name} appears twice`);
    names.add(name);
    out.push({ name, data });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
