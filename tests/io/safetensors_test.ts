import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { parseSafetensors, toF32, toI32 } from "../../src/io/safetensors.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { buildSafetensors, f32Tensor } from "../_util/safetensors_build.ts";
import { Prng } from "../_util/prng.ts";

const isFormatError = (e: unknown) => e instanceof EdgeClipError && e.code === "model_format";

Deno.test("safetensors: parses entries, offsets and metadata", () => {
  const bytes = buildSafetensors({
    a: f32Tensor([2, 3], [1, 2, 3, 4, 5, 6]),
    b: { dtype: "I64", shape: [2], data: new Uint8Array(new BigInt64Array([7n, -3n]).buffer) },
  }, { format: "pt" });
  const h = parseSafetensors(bytes);
  deepStrictEqual(h.metadata, { format: "pt" });
  const a = h.entries.get("a")!;
  deepStrictEqual(a.shape, [2, 3]);
  const out = new Float32Array(6);
  toF32(bytes.subarray(a.begin, a.end), a.dtype, out, "a");
  deepStrictEqual(Array.from(out), [1, 2, 3, 4, 5, 6]);
  const b = h.entries.get("b")!;
  deepStrictEqual(Array.from(toI32(bytes.subarray(b.begin, b.end), b.dtype, "b")), [7, -3]);
});

Deno.test("safetensors: F16 and BF16 widen exactly; unaligned F32 is read", () => {
  const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]); // 1, -2, 2^-24, inf
  const out = new Float32Array(4);
  toF32(half, "F16", out, "h");
  deepStrictEqual(Array.from(out), [1, -2, 2 ** -24, Infinity]);
  const bf = new Uint8Array([0x80, 0x3f, 0x40, 0xc0]); // 1, -3
  const o2 = new Float32Array(2);
  toF32(bf, "BF16", o2, "b");
  deepStrictEqual(Array.from(o2), [1, -3]);
  const f = new Uint8Array(9);
  new DataView(f.buffer).setFloat32(1, 1.5, true);
  new DataView(f.buffer).setFloat32(5, -0.25, true);
  const o3 = new Float32Array(2);
  toF32(f.subarray(1), "F32", o3, "u");
  deepStrictEqual(Array.from(o3), [1.5, -0.25]);
});

Deno.test("safetensors: I64 values outside int32 are rejected", () => {
  const raw = new Uint8Array(new BigInt64Array([2n ** 40n]).buffer);
  throws(() => toI32(raw, "I64", "x"), isFormatError);
});

Deno.test("safetensors: malformed headers are model_format errors naming the problem", () => {
  const good = buildSafetensors({ w: f32Tensor([2], [1, 2]) });
  const enc = (s: string) => {
    const j = new TextEncoder().encode(s);
    const b = new Uint8Array(8 + j.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(j.length), true);
    b.set(j, 8);
    return b;
  };
  const bad: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["short", good.subarray(0, 5)],
    ["header past end", good.subarray(0, 12)],
    [
      "huge header length",
      (() => {
        const b = good.slice();
        new DataView(b.buffer).setBigUint64(0, 2n ** 50n, true);
        return b;
      })(),
    ],
    ["not json", enc("{nope")],
    ["array", enc("[]")],
    ["bad dtype", enc('{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}')],
    ["bad shape", enc('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}')],
    ["size mismatch", enc('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}')],
    ["data past end", enc('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')],
    ["truncated data", good.subarray(0, good.length - 1)],
  ];
  for (const [label, bytes] of bad) {
    throws(() => parseSafetensors(bytes, label), (e) => {
      ok(isFormatError(e), `${label}: ${e}`);
      ok((e as Error).message.startsWith(label), (e as Error).message);
      return true;
    });
  }
  const overlap = (() => {
    const j = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const b = enc(j);
    const out = new Uint8Array(b.length + 8);
    out.set(b);
    return out;
  })();
  throws(() => parseSafetensors(overlap), isFormatError);
});

Deno.test("safetensors: random corruption never escapes as anything but EdgeClipError", () => {
  const good = buildSafetensors({
    a: f32Tensor([3, 4], new Float32Array(12).fill(1)),
    b: f32Tensor([5], new Float32Array(5).fill(2)),
  }, { k: "v" });
  const rng = new Prng(7);
  for (let i = 0; i < 500; i++) {
    const b = good.slice(0, rng.int(0, good.length));
    for (let j = rng.int(0, 4); j > 0; j--) {
      b[rng.int(0, Math.max(0, b.length - 1))] = rng.int(0, 255);
    }
    try {
      const h = parseSafetensors(b);
      for (const e of h.entries.values()) ok(e.end <= b.length);
    } catch (e) {
      ok(e instanceof EdgeClipError, `iteration ${i}: ${e}`);
    }
  }
  strictEqual(parseSafetensors(good).entries.size, 2);
});
