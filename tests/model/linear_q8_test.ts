// LinearQ8 / EmbeddingQ8 through their loaders: forward is the int8 GEMM of the quantized weight,
// readWeight / writeWeight (adapter merging) round-trip within half a step, a transform sees the f32
// weight before quantization, F16 checkpoints quantize like their widened values, and a token table
// larger than one load slice is quantized row by row like the reference.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type Dtype, parseSafetensors } from "../../src/io/safetensors.ts";
import { quantizingEmbeddingLoader } from "../../src/model/embedding_q8.ts";
import { LinearQ8, quantizingLinearLoader } from "../../src/model/linear_q8.ts";
import type { LinearPlace } from "../../src/model/names.ts";
import { WeightStore } from "../../src/model/weights.ts";
import { ACT_FORMATS } from "../../src/wasm/formats.ts";
import {
  dequantizeRowQ8,
  quantizeActQ8,
  quantizeRowQ8,
  quantizeWeightsQ8,
  unpackQ8,
} from "../_ref/q8.ts";
import { gemmQ8Ref } from "../_ref/gemm_q8.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { buildSafetensors, f32Tensor, type TestTensor } from "../_util/safetensors_build.ts";
import { Prng } from "../_util/prng.ts";

function f16Bits(x: number): number {
  // round-to-nearest-even f32 → f16 for normal values in range (the test's values are)
  const f = new Float32Array([x]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, exp = ((u >>> 23) & 0xff) - 127 + 15, mant = u & 0x7fffff;
  if (exp <= 0) return sign;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}

function f16Tensor(shape: number[], values: ArrayLike<number>): TestTensor {
  const a = Uint16Array.from(Array.from(values, f16Bits));
  return { dtype: "F16", shape, data: new Uint8Array(a.buffer) };
}

function storeOf(tensors: Record<string, TestTensor>, k: Kernels): WeightStore {
  const bytes = buildSafetensors(tensors);
  const header = parseSafetensors(bytes);
  return new WeightStore({
    label: "test",
    header,
    read: (e, dest) => Promise.resolve(dest.set(bytes.subarray(e.begin, e.end))),
  }, k);
}

Deno.test("LinearQ8: forward, readWeight, writeWeight, transform before quantization", async () => {
  const k = Kernels.create();
  const r = new Prng(7);
  const n = 13, kk = 21, m = 5;
  const w = r.f32(n * kk), b = r.f32(n);
  const store = storeOf({ "l.weight": f32Tensor([n, kk], w), "l.bias": f32Tensor([n], b) }, k);
  const seen: LinearPlace[] = [];
  const place = { tower: "text", layer: 0, linear: "fc1" } as const;
  const loader = quantizingLinearLoader(undefined, (at, wf) => {
    seen.push(at);
    deepStrictEqual(wf, w); // the f32 weight, before quantization
  });
  const lin = await loader(store.root().pp("l"), {
    inFeatures: kk,
    outFeatures: n,
    bias: true,
    place,
  });
  ok(lin instanceof LinearQ8);
  deepStrictEqual(seen, [place]);
  store.finish();
  // forward = the reference int8 GEMM in the layer's activation format
  const fmt = Object.values(ACT_FORMATS).find((f) => f.id === lin.fmt)!;
  const x = r.f32(m * kk);
  const pw = quantizeWeightsQ8(w, n, kk);
  const want = gemmQ8Ref(
    quantizeActQ8(x, m, kk, fmt),
    { q: unpackQ8(pw), scales: pw.scales, sums: pw.sums },
    m,
    kk,
    n,
    { bias: b },
  );
  k.scratch(() => {
    const out = k.mat(m, n);
    lin.forward(k.matFrom(x, m, kk), out);
    deepStrictEqual(k.read(out), want);
  });
  // readWeight is q·scale; writeWeight re-quantizes (what merging an adapter does)
  const deq = new Float32Array(n * kk);
  for (let c = 0; c < n; c++) {
    deq.set(dequantizeRowQ8(unpackQ8(pw).subarray(c * kk, (c + 1) * kk), pw.scales[c]), c * kk);
  }
  deepStrictEqual(lin.readWeight(), deq);
  const w2 = w.map((v, i) => v + 0.1 * Math.sin(i));
  lin.writeWeight(w2);
  const back = lin.readWeight();
  for (let c = 0; c < n; c++) {
    const { scale } = quantizeRowQ8(w2.subarray(c * kk, (c + 1) * kk));
    for (let i = 0; i < kk; i++) {
      ok(Math.abs(back[c * kk + i] - w2[c * kk + i]) <= scale / 2 + 1e-7, `w[${c}, ${i}]`);
    }
  }
});

Deno.test("F16 checkpoints quantize like their values widened to f32", async () => {
  const k = Kernels.create();
  const r = new Prng(3);
  const n = 9, kk = 17;
  const w = r.f32(n * kk);
  const lin16 = await quantizingLinearLoader()(
    storeOf({ "l.weight": f16Tensor([n, kk], w) }, k).root().pp("l"),
    {
      inFeatures: kk,
      outFeatures: n,
      bias: false,
      place: { tower: "text", layer: 0, linear: "q" },
    },
  );
  const ref = storeOf({ "l.weight": f16Tensor([n, kk], w) }, k);
  const dst = ref.owner.mat(n, kk);
  await ref.readF32Into(ref.entry("l.weight", [n, kk]), dst);
  const want = quantizeWeightsQ8(k.read(dst), n, kk);
  const deq = lin16.readWeight();
  const q = unpackQ8(want);
  for (let c = 0; c < n; c++) {
    deepStrictEqual(
      deq.subarray(c * kk, (c + 1) * kk),
      dequantizeRowQ8(q.subarray(c * kk, (c + 1) * kk), want.scales[c]),
    );
  }
});

Deno.test("EmbeddingQ8: a table larger than one load slice, F32 and F16", async () => {
  const k = Kernels.create();
  const r = new Prng(11);
  const vocab = 5000, dim = 5;
  const t = r.f32(vocab * dim);
  for (const dtype of ["F32", "F16"] as Dtype[]) {
    const tensor = dtype === "F32" ? f32Tensor([vocab, dim], t) : f16Tensor([vocab, dim], t);
    const store = storeOf({ "e.weight": tensor }, k);
    const emb = await quantizingEmbeddingLoader(store.root().pp("e"), vocab, dim);
    store.finish();
    const ids = [0, 1, 2047, 2048, 2049, 4095, 4096, 4999];
    const got = k.scratch(() => {
      const out = k.mat(ids.length, dim);
      emb.gather(ids, out);
      return k.read(out);
    });
    const ref = storeOf({ "e.weight": tensor }, k);
    const dst = ref.owner.mat(vocab, dim);
    await ref.readF32Into(ref.entry("e.weight", [vocab, dim]), dst);
    const f = k.read(dst);
    ids.forEach((id, i) => {
      const { q, scale } = quantizeRowQ8(f.subarray(id * dim, (id + 1) * dim));
      deepStrictEqual(
        got.subarray(i * dim, (i + 1) * dim),
        dequantizeRowQ8(q, scale),
        `${dtype} ${id}`,
      );
    });
    strictEqual(emb.vocab, vocab);
  }
});
