// A bounds-checked reader for the ZIP archives PyTorch writes (torch.save's zip format): the
// central directory is parsed, every entry's local header checked, and only stored
// (uncompressed) entries are accepted — PyTorch never compresses. ZIP64 sizes and offsets are
// understood. readZip reads an archive held in memory; zipDirectory locates the entries of one
// opened for random access, reading only its directory and headers. Every failure is an
// EdgeClipError (adapter_format unless told) naming the file and the problem.

import { EdgeClipError, type ErrorCode } from "../errors.ts";
import type { RandomAccess } from "./host.ts";

/** One stored entry: its name and its bytes (a view into the archive). */
export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

/** One stored entry of an archive read at random: where its bytes are. */
export interface ZipSpan {
  readonly name: string;
  /** Absolute offset of the entry's data, and its length. */
  readonly start: number;
  readonly size: number;
  readonly crc: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOC = 0x04034b50;
const U32_MAX = 0xffffffff;
/** The end record (22 bytes) with the longest comment, the ZIP64 locator and ZIP64 end record. */
const TAIL = 22 + 65535 + 20 + 56;

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

/** Part of an archive (`bytes` holds its bytes from `start` on), read by absolute position. */
class Window {
  readonly #dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly file: string,
    readonly code: ErrorCode,
  ) {
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(msg: string): never {
    throw new EdgeClipError(this.code, `${this.file}: ${msg}`, { file: this.file });
  }

  #at(p: number, n: number): number {
    const q = p - this.start;
    if (q < 0 || q + n > this.bytes.length) this.fail(`truncated (read at ${p} past the data)`);
    return q;
  }
  u16 = (p: number) => this.#dv.getUint16(this.#at(p, 2), true);
  u32 = (p: number) => this.#dv.getUint32(this.#at(p, 4), true);
  u64(p: number): number {
    const v = this.u32(p) + this.u32(p + 4) * 2 ** 32;
    if (!Number.isSafeInteger(v)) this.fail("a 64-bit size does not fit");
    return v;
  }
  sub = (p: number, n: number) => this.bytes.subarray(this.#at(p, n), this.#at(p, n) + n);
}

/** Where the central directory is, from a window over the archive's end (`size`: its length). */
function directoryPlace(w: Window, size: number): { count: number; cdSize: number; cdOff: number } {
  // End of central directory: the last 22+ bytes (a comment of up to 65535 bytes may follow)
  let eocd = -1;
  for (let p = size - 22; p >= Math.max(w.start, size - 22 - 65535); p--) {
    if (w.u32(p) === SIG_EOCD && p + 22 + w.u16(p + 20) === size) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) w.fail("not a ZIP archive (no end-of-central-directory record; truncated?)");
  let count = w.u16(eocd + 10), cdSize = w.u32(eocd + 12), cdOff = w.u32(eocd + 16);
  if (count === 0xffff || cdSize === U32_MAX || cdOff === U32_MAX) {
    const loc = eocd - 20;
    if (loc < w.start || w.u32(loc) !== SIG_LOC64) w.fail("ZIP64 locator missing");
    const e64 = w.u64(loc + 8);
    if (w.u32(e64) !== SIG_EOCD64) w.fail("ZIP64 end record missing");
    count = w.u64(e64 + 32);
    cdSize = w.u64(e64 + 40);
    cdOff = w.u64(e64 + 48);
  }
  if (cdOff + cdSize > size) w.fail("central directory lies past the end of the file (truncated)");
  if (count > cdSize / 46) w.fail(`central directory cannot hold ${count} entries`);
  return { count, cdSize, cdOff };
}

/** A central-directory entry: where its local header is, and what it claims. */
interface Listed {
  readonly name: string;
  readonly local: number;
  readonly size: number;
  readonly crc: number;
}

/** The entries of the central directory (`w` covers it); only stored, unencrypted ones pass. */
function directoryEntries(w: Window, place: ReturnType<typeof directoryPlace>): Listed[] {
  const { count, cdSize, cdOff } = place;
  const out: Listed[] = [];
  const names = new Set<string>();
  let p = cdOff;
  for (let i = 0; i < count; i++) {
    if (w.u32(p) !== SIG_CEN) w.fail(`central directory entry ${i} is corrupt`);
    const flags = w.u16(p + 8), method = w.u16(p + 10), crc = w.u32(p + 16);
    let csize = w.u32(p + 20), usize = w.u32(p + 24);
    const nameLen = w.u16(p + 28), extraLen = w.u16(p + 30), commentLen = w.u16(p + 32);
    let local = w.u32(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cdOff + cdSize) {
      w.fail(`central directory entry ${i} overruns the directory`);
    }
    const name = new TextDecoder().decode(w.sub(p + 46, nameLen));
    // ZIP64 extra field: the 0xFFFFFFFF fields, in order usize, csize, offset
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = w.u16(e), len = w.u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (usize === U32_MAX) (usize = w.u64(q)), (q += 8);
        if (csize === U32_MAX) (csize = w.u64(q)), (q += 8);
        if (local === U32_MAX) local = w.u64(q);
      }
      e += 4 + len;
    }
    if (flags & 1) w.fail(`entry ${name} is encrypted`);
    if (method !== 0) {
      w.fail(`entry ${name} is compressed (method ${method}); PyTorch files store entries raw`);
    }
    if (csize !== usize) w.fail(`entry ${name}: stored sizes differ (${csize} vs ${usize})`);
    if (names.has(name)) w.fail(`entry ${name} appears twice`);
    names.add(name);
    out.push({ name, local, size: csize, crc });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Where an entry's data starts, from its local header (`w` covers at least its fixed part). */
function dataStart(w: Window, e: Listed, size: number): number {
  if (w.u32(e.local) !== SIG_LOC) w.fail(`entry ${e.name}: local header missing or corrupt`);
  const start = e.local + 30 + w.u16(e.local + 26) + w.u16(e.local + 28);
  if (start + e.size > size) {
    w.fail(`entry ${e.name} extends past the end of the file (truncated)`);
  }
  return start;
}

/** Reads every entry of a ZIP archive held in memory (CRCs checked). */
export function readZip(bytes: Uint8Array, file = "zip"): ZipEntry[] {
  const w = new Window(bytes, 0, file, "adapter_format");
  return directoryEntries(w, directoryPlace(w, bytes.length)).map((e) => {
    const start = dataStart(w, e, bytes.length);
    const data = bytes.subarray(start, start + e.size);
    if (crc32(data) !== e.crc) w.fail(`entry ${e.name}: CRC mismatch (corrupted data)`);
    return { name: e.name, data };
  });
}

/** Bytes [at, at + n) of `ra` as a Window. */
async function windowAt(ra: RandomAccess, at: number, n: number, file: string, code: ErrorCode) {
  const bytes = new Uint8Array(n);
  await ra.read(at, bytes);
  return new Window(bytes, at, file, code);
}

/**
 * The entries of an archive opened for random access: its end, its central directory and each
 * local header are read, not the data (CRCs are the caller's to check).
 */
export async function zipDirectory(
  ra: RandomAccess,
  file: string,
  code: ErrorCode = "adapter_format",
): Promise<ZipSpan[]> {
  const size = ra.size;
  if (!Number.isFinite(size)) {
    throw new EdgeClipError(code, `${file}: a ZIP archive needs its size known`, { file });
  }
  const tailAt = Math.max(0, size - TAIL);
  const tail = await windowAt(ra, tailAt, size - tailAt, file, code);
  const place = directoryPlace(tail, size);
  // a small archive's directory is in the tail already read (a stream would go back for it)
  const cd = place.cdOff >= tailAt
    ? tail
    : await windowAt(ra, place.cdOff, place.cdSize, file, code);
  const out: ZipSpan[] = [];
  // in file order, so a stream reads forward
  for (const e of directoryEntries(cd, place).sort((a, b) => a.local - b.local)) {
    // the fixed part says how long the name and extra field are: the data follows them
    const w = await windowAt(ra, e.local, Math.min(30, size - e.local), file, code);
    out.push({ name: e.name, start: dataStart(w, e, size), size: e.size, crc: e.crc });
  }
  return out;
}
