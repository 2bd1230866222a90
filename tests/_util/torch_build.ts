// Tiny writers for tests: ZIP archives with stored entries, pickle opcodes, and a whole
// torch.save'd state dict (zip format) of f32 tensors, as PyTorch writes it.

import { concatBytes } from "../../src/io/bytes.ts";
import { crc32 } from "../../src/io/zip.ts";

const enc = new TextEncoder();

export function buildZip(
  entries: [string, Uint8Array][],
  opts: { method?: number } = {},
): Uint8Array {
  const parts: Uint8Array[] = [], central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const loc = new Uint8Array(30 + n.length);
    const dv = new DataView(loc.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(8, opts.method ?? 0, true);
    dv.setUint32(14, crc32(data), true);
    dv.setUint32(18, data.length, true);
    dv.setUint32(22, data.length, true);
    dv.setUint16(26, n.length, true);
    loc.set(n, 30);
    const cen = new Uint8Array(46 + n.length);
    const cv = new DataView(cen.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, opts.method ?? 0, true);
    cv.setUint32(16, crc32(data), true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, off, true);
    cen.set(n, 46);
    parts.push(loc, data);
    central.push(cen);
    off += loc.length + data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, off, true);
  return concatBytes([...parts, ...central, end]);
}

/** Pickle assembler: strings become BINUNICODE, numbers BININT, arrays raw opcode bytes. */
export function pk(...items: (string | number | number[] | { g: string })[]): Uint8Array {
  const out: number[] = [0x80, 2];
  for (const it of items) {
    if (Array.isArray(it)) out.push(...it);
    else if (typeof it === "number") {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, it, true);
      out.push(0x4a, ...b);
    } else if (typeof it === "string") {
      const s = enc.encode(it);
      out.push(0x58, s.length & 255, (s.length >> 8) & 255, 0, 0, ...s);
    } else out.push(0x63, ...enc.encode(it.g.replace(" ", "\n") + "\n"));
  }
  out.push(0x2e);
  return new Uint8Array(out);
}
export const MARK = 0x28,
  TUPLE = 0x74,
  REDUCE = 0x52,
  BINPERSID = 0x51,
  SETITEM = 0x73,
  EMPTY_TUPLE = 0x29,
  FALSE = 0x89;

/** BININT of any 32-bit value (pk's tuples take 16-bit ones). */
function int32(x: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, x, true);
  return [0x4a, ...b];
}

/**
 * torch.save(state_dict) of contiguous f32 tensors in the zip format: `archive/data.pkl`, one
 * storage per tensor under `archive/data/<i>`, and `archive/byteorder`.
 */
export function torchStateDict(
  tensors: readonly { name: string; data: Float32Array; shape: readonly number[] }[],
): Uint8Array {
  const ops: (string | number | number[] | { g: string })[] = [
    { g: "collections OrderedDict" },
    [EMPTY_TUPLE, REDUCE],
  ];
  const tuple = (xs: readonly number[]) => [MARK, ...xs.flatMap(int32), TUPLE];
  tensors.forEach((t, i) => {
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    ops.push(
      t.name,
      { g: "torch._utils _rebuild_tensor_v2" },
      [MARK, MARK],
      "storage",
      { g: "torch FloatStorage" },
      String(i),
      "cpu",
      [...int32(t.data.length), TUPLE, BINPERSID, ...int32(0)],
      [...tuple(t.shape), ...tuple(stride), FALSE],
      { g: "collections OrderedDict" },
      [EMPTY_TUPLE, REDUCE, TUPLE, REDUCE, SETITEM],
    );
  });
  const data = tensors.map((t, i): [string, Uint8Array] => [
    `archive/data/${i}`,
    new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  ]);
  return buildZip([
    ["archive/data.pkl", pk(...ops)],
    ["archive/byteorder", new TextEncoder().encode("little")],
    ...data,
  ]);
}
