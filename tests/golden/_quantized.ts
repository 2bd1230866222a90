// The golden conformance of the quantized paths (tests/golden/clip_int8_test.ts, clip_int4_test.ts):
// every base case (no adapters) of the manifests, run with one dtype twice — quantized at load from
// the f32 folder, and from a package converted in memory — which must agree bit for bit; each
// row's text/image embedding must stay within a cosine bound of the expected f32 output, and every
// logits_per_image row must keep its argmax.

import { ok } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import type { Tensor } from "../../src/tensor.ts";
import { ALT_GOLDEN_DIR, type GoldenCase, listCases, readTensors } from "./clip_cases.ts";

/** Registers the golden tests of `dtype` with the smallest cosine each embedding may have. */
export function quantizedGoldenTests(
  dtype: "int8" | "int4",
  minCos: { readonly text_embeds: number; readonly image_embeds: number },
): void {
  const { root, manifest, cases } = listCases();
  const alt = listCases(ALT_GOLDEN_DIR);
  const all: [string, GoldenCase][] = [
    ...cases.map((c): [string, GoldenCase] => [manifest?.label ?? "golden", c]),
    ...alt.cases.map((c): [string, GoldenCase] => [alt.manifest!.label, c]),
  ];

  Deno.test({
    name: `golden clip ${dtype}: fixtures are present`,
    ignore: root === null,
    fn() {
      ok(cases.length > 0, `no cases in ${root}/manifest.json`);
    },
  });

  function rowCosines(got: Tensor, want: Tensor): number[] {
    const [B, P] = got.shape;
    return Array.from({ length: B }, (_, b) => {
      let d = 0, x = 0, y = 0;
      for (let i = b * P; i < (b + 1) * P; i++) {
        d += got.data[i] * want.data[i];
        x += got.data[i] ** 2;
        y += want.data[i] ** 2;
      }
      return d / Math.sqrt(x * y);
    });
  }

  function argmaxRows(t: Tensor): number[] {
    const [R, C] = t.shape;
    return Array.from({ length: R }, (_, r) => {
      let best = 0;
      for (let c = 1; c < C; c++) if (t.data[r * C + c] > t.data[r * C + best]) best = c;
      return best;
    });
  }

  for (const [label, c] of all.filter(([, c]) => c.json.adapters.length === 0 && !c.json.fusion)) {
    Deno.test(`golden clip ${dtype} [${label}]: ${c.name} (quantized at load, package in memory)`, async () => {
      const inputs = readTensors(c.inputsFile);
      const expected = readTensors(`${c.dir}/${c.json.outputs}`);
      const { bytes } = await convertClipToBytes(c.modelDir, { dtype });
      const outs = [];
      for (const source of [c.modelDir, { "model-int8.safetensors": bytes }]) {
        const clip = await loadClip(source, { dtype });
        outs.push(
          await clip.forward({
            inputIds: inputs.input_ids,
            attentionMask: inputs.attention_mask,
            pixelValues: inputs.pixel_values,
          }) as unknown as Record<string, Tensor | undefined>,
        );
        clip.dispose();
      }
      const failures: string[] = [];
      for (const [name, min] of Object.entries(minCos)) {
        const want = expected[name];
        const api = name === "text_embeds" ? "textEmbeds" : "imageEmbeds";
        if (!want) continue;
        const [a, b] = outs.map((o) => o[api]);
        if (!a || !b) {
          failures.push(`${name}: not produced`);
          continue;
        }
        if (a.data.some((v, i) => !Object.is(v, b.data[i]))) {
          failures.push(`${name}: the package and quantize-at-load differ`);
        }
        const cos = rowCosines(a, want);
        const worst = Math.min(...cos);
        if (!(worst >= min)) failures.push(`${name}: cosine ${worst.toFixed(6)} < ${min}`);
      }
      const lpi = expected.logits_per_image;
      if (lpi) {
        const got = outs[0].logitsPerImage;
        if (!got) failures.push("logits_per_image: not produced");
        else {
          const [g, w] = [argmaxRows(got), argmaxRows(lpi)];
          if (g.join() !== w.join()) failures.push(`ranking changed: argmax ${g} vs ${w}`);
        }
      }
      ok(failures.length === 0, failures.join("\n"));
    });
  }
}
