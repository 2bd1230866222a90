// The safetensors writer: what it writes parses back (header, offsets, bytes), data starts on an
// 8-byte boundary, and inconsistent input is refused.

import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { encodeHeader, memorySink, writeSafetensors } from "../../src/io/safetensors_write.ts";
import { forAll } from "../_util/property.ts";

Deno.test("safetensors writer round-trips through the parser", async () => {
  const cases: { shapes: number[][]; meta: boolean }[] = [];
  forAll("writer cases", 30, (r) => ({
    shapes: Array.from(
      { length: r.int(1, 5) },
      () => Array.from({ length: r.int(0, 3) }, () => r.int(0, 5)),
    ),
    meta: r.next() < 0.5,
  }), (c) => void cases.push(c));
  for (const c of cases) {
    const dtypes = ["F32", "I8", "I32", "F16"] as const;
    const tensors = c.shapes.map((shape, i) => {
      const dtype = dtypes[i % dtypes.length];
      const size = { F32: 4, I8: 1, I32: 4, F16: 2 }[dtype];
      const bytes = new Uint8Array(shape.reduce((a, d) => a * d, 1) * size).map((_, j) => j + i);
      return { name: `t${i}.x`, dtype, shape, data: () => bytes, bytes };
    });
    const meta: Record<string, string> = c.meta
      ? { format: "edgeclip", "edgeclip.file.a.json": '{"é": "\\u0000"}' }
      : {};
    const sink = memorySink();
    const size = await writeSafetensors(sink, tensors, meta);
    const file = sink.bytes();
    strictEqual(size, file.length);
    const h = parseSafetensors(file);
    strictEqual(h.dataStart % 8, 0);
    deepStrictEqual(h.metadata, meta);
    for (const t of tensors) {
      const e = h.entries.get(t.name)!;
      deepStrictEqual([e.dtype, e.shape], [t.dtype, t.shape]);
      deepStrictEqual(file.subarray(e.begin, e.end), t.bytes);
    }
  }
});

Deno.test("safetensors writer refuses duplicate names and wrong byte counts", async () => {
  const t = { name: "a", dtype: "F32" as const, shape: [2], data: () => new Uint8Array(8) };
  throws(() => encodeHeader([t, t]), EdgeClipError);
  throws(() => encodeHeader([{ ...t, name: "__metadata__" }]), EdgeClipError);
  await rejects(
    writeSafetensors(memorySink(), [{ ...t, data: () => new Uint8Array(7) }]),
    EdgeClipError,
  );
});
