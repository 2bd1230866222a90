import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { forAll } from "../_util/property.ts";
import { Prng } from "../_util/prng.ts";
import { assertClose } from "../_util/assert_close.ts";
import { attentionRef } from "../_ref/gemm.ts";
import { eachVariant } from "./_backends.ts";

const MIN = -3.4028234663852886e38;

Deno.test("attention_f32 equals the reference (causal, shift, padding bias, odd head dims)", () => {
  eachVariant((kr, variant) => {
    forAll(`attention_f32[${variant}]`, 60, (r) => {
      const sq = r.pick([1, 2, 5, 16, 50]);
      const prefix = r.pick([0, 0, 3]);
      return {
        sq,
        sk: sq + prefix,
        heads: r.pick([1, 2, 4]),
        hd: r.pick([1, 3, 4, 5, 16, 17, 20, 64]),
        causal: r.next() < 0.5,
        shift: prefix,
        pad: r.next() < 0.4 ? r.int(0, Math.max(0, sq - 1)) : -1, // keys >= pad masked
      };
    }, (c, r) => {
      kr.scratch(() => {
        const H = c.heads * c.hd;
        const q = r.f32(c.sq * H), k = r.f32(c.sk * H), v = r.f32(c.sk * H);
        const keyBias = c.pad >= 0
          ? new Float32Array(c.sk).map((_, j) => (j >= c.shift + c.pad && j > 0 ? MIN : 0))
          : undefined;
        const scale = 1 / Math.sqrt(c.hd);
        const want = attentionRef(q, k, v, c.sq, c.sk, c.heads, c.hd, scale, {
          causal: c.causal,
          shift: c.shift,
          keyBias,
        });
        // q/k/v as strided column blocks of one [s × 3H] buffer, like a fused QKV output
        const Q = kr.matFrom(q, c.sq, H), K = kr.matFrom(k, c.sk, H), V = kr.matFrom(v, c.sk, H);
        const O = kr.view(kr.mat(c.sq, H + 3), 0, c.sq, 0, H);
        kr.attention(Q, K, V, O, {
          heads: c.heads,
          headDim: c.hd,
          scale,
          causal: c.causal,
          shift: c.shift,
          keyBias: keyBias ? kr.vecFrom(keyBias) : undefined,
        });
        assertClose(kr.read(O), want, 2e-6, 1e-5);
      });
    });
  });
});

Deno.test("attention_f32 is permutation-equivariant in (K, V) rows when unmasked", () => {
  eachVariant((kr) => {
    kr.scratch(() => {
      const sq = 4, sk = 7, heads = 2, hd = 8, H = heads * hd;
      const rnd = (n: number, s: number) => new Float32Array(n).map((_, i) => Math.sin(i * s));
      const q = rnd(sq * H, 1.3), k = rnd(sk * H, 0.7), v = rnd(sk * H, 2.1);
      const perm = [3, 0, 6, 1, 5, 2, 4];
      const kp = new Float32Array(sk * H), vp = new Float32Array(sk * H);
      perm.forEach((p, j) => {
        kp.set(k.subarray(p * H, (p + 1) * H), j * H);
        vp.set(v.subarray(p * H, (p + 1) * H), j * H);
      });
      const run = (kk: Float32Array, vv: Float32Array) => {
        const O = kr.mat(sq, H);
        kr.attention(kr.matFrom(q, sq, H), kr.matFrom(kk, sk, H), kr.matFrom(vv, sk, H), O, {
          heads,
          headDim: hd,
          scale: 0.3,
        });
        return kr.read(O);
      };
      assertClose(run(kp, vp), run(k, v), 1e-6, 1e-6);
    });
  });
});

// Causal rows stop at their last visible key, except rows whose visible keys are all padding:
// there HF's softmax spreads over the hidden (singly masked) keys, and the kernel takes every key.
// Left padding makes such rows; key counts around the 8-key panels and 4-query groups.
Deno.test("attention_f32: causal with left padding (fully masked visible keys), panel edges", () => {
  eachVariant((kr, variant) => {
    forAll(`attention_f32 left-pad[${variant}]`, 40, (r) => {
      const sq = r.pick([3, 7, 8, 9, 15, 16, 17, 33]);
      const prefix = r.pick([0, 0, 2, 5]);
      return {
        sq,
        sk: sq + prefix,
        heads: r.pick([1, 3]),
        hd: r.pick([8, 12, 64]),
        shift: prefix,
        padFront: r.int(0, sq + prefix), // keys < padFront are padding
        padBack: r.next() < 0.3 ? r.int(1, 3) : 0, // and the last few
      };
    }, (c, r) => {
      kr.scratch(() => {
        const H = c.heads * c.hd;
        const q = r.f32(c.sq * H), k = r.f32(c.sk * H), v = r.f32(c.sk * H);
        const keyBias = new Float32Array(c.sk).map((_, j) =>
          j < c.padFront || j >= c.sk - c.padBack ? MIN : 0
        );
        const scale = 1 / Math.sqrt(c.hd);
        const want = attentionRef(q, k, v, c.sq, c.sk, c.heads, c.hd, scale, {
          causal: true,
          shift: c.shift,
          keyBias,
        });
        const O = kr.mat(c.sq, H);
        kr.attention(kr.matFrom(q, c.sq, H), kr.matFrom(k, c.sk, H), kr.matFrom(v, c.sk, H), O, {
          heads: c.heads,
          headDim: c.hd,
          scale,
          causal: true,
          shift: c.shift,
          keyBias: kr.vecFrom(keyBias),
        });
        assertClose(kr.read(O), want, 2e-6, 1e-5);
      });
    });
  });
});

Deno.test("attention_f32 on CLIP shapes (50 tokens × 12 heads, 77 causal × 8 heads)", () => {
  eachVariant((kr, variant) => {
    const r = new Prng(0xa77e);
    for (const [s, heads, causal] of [[50, 12, false], [77, 8, true]] as const) {
      kr.scratch(() => {
        const H = heads * 64;
        // a fused [s × 3H] QKV output, q/k/v as column blocks of it
        const qkv = r.f32(s * 3 * H, () => r.normal());
        const col = (c0: number) => {
          const out = new Float32Array(s * H);
          for (let i = 0; i < s; i++) {
            out.set(qkv.subarray(i * 3 * H + c0, i * 3 * H + c0 + H), i * H);
          }
          return out;
        };
        const want = attentionRef(col(0), col(H), col(2 * H), s, s, heads, 64, 0.125, { causal });
        const QKV = kr.matFrom(qkv, s, 3 * H), O = kr.mat(s, H);
        kr.attention(
          kr.view(QKV, 0, s, 0, H),
          kr.view(QKV, 0, s, H, H),
          kr.view(QKV, 0, s, 2 * H, H),
          O,
          { heads, headDim: 64, scale: 0.125, causal },
        );
        assertClose(kr.read(O), want, 2e-6, 1e-5, `[${variant}] s=${s}`);
      });
    }
  });
});

// A causal query sees keys up to its own position only, so extending the sequence (text padded
// to the context, or run to its EOS only) must leave the earlier rows bit-identical.
Deno.test("attention_f32: causal rows are bit-identical when later tokens are appended", () => {
  eachVariant((kr, variant) => {
    const r = new Prng(0xeec5);
    for (const [len, extra, heads, hd] of [[7, 70, 8, 64], [10, 3, 2, 12], [1, 9, 1, 8]]) {
      kr.scratch(() => {
        const H = heads * hd, total = len + extra;
        const q = r.f32(total * H), k = r.f32(total * H), v = r.f32(total * H);
        const run = (s: number) => {
          const O = kr.mat(s, H);
          const m = (x: Float32Array) => kr.matFrom(x.subarray(0, s * H), s, H);
          kr.attention(m(q), m(k), m(v), O, { heads, headDim: hd, scale: 0.125, causal: true });
          return kr.read(O);
        };
        const short = run(len), long = run(total).slice(0, len * H);
        assertEquals(Array.from(long), Array.from(short), `[${variant}] ${len}+${extra}`);
      });
    }
  });
});
