// The download cache in the web Cache API (hosts without a file system), run on Deno's `caches`:
// an int8 load of a Hub repo keeps its package there, and the next load — offline — streams it
// back; a write that fails midway leaves no entry.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { openInt8Cached } from "../../src/convert/cached.ts";
import { webCache } from "../../src/io/cache_web.ts";
import { hubFileSet } from "../../src/io/hub.ts";
import { hubRepo } from "../../src/io/hub_repo.ts";
import { Q8_POLICIES } from "../../src/model/q8_policy.ts";
import { goldenPath } from "../_util/golden.ts";
import { startMockHub } from "../_util/mock_hub.ts";
import { type LoadedModel, openModel } from "../../src/checkpoint/open.ts";
import { runForward } from "../../src/api/forward.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { readTensors } from "../golden/clip_cases.ts";
import { readResolved, RESOLVED_FILE, resolvedKey } from "../../src/tokenizer/resolved.ts";

const model = goldenPath("clip/model");
const ignore = model === null || typeof caches === "undefined";

Deno.test({ name: "web cache: an interrupted write leaves no entry", ignore }, async () => {
  const name = `edgeclip-test-${crypto.randomUUID()}`;
  try {
    const c = (await webCache(name))!;
    strictEqual(c.holdsWeights, false);
    await rejects(
      c.put("org/x", "blob", async (sink) => {
        await sink.write(new Uint8Array(10));
        throw new Error("cut");
      }),
      /cut/,
    );
    strictEqual(await c.has("org/x", "blob"), false);
    await c.put("org/x", "blob", async (sink) => await sink.write(new Uint8Array([1, 2, 3])));
    deepStrictEqual(await c.bytes("org/x", "blob"), new Uint8Array([1, 2, 3]));
    await c.putRef("org/x", "main", "a/b.json", { etag: "e", size: 3 });
    deepStrictEqual(await c.getRef("org/x", "main", "a/b.json"), { etag: "e", size: 3 });
  } finally {
    await caches.delete(name);
  }
});

Deno.test(
  { name: "web cache: an int8 Hub load keeps its package; offline loads it back", ignore },
  async () => {
    const name = `edgeclip-test-${crypto.randomUUID()}`;
    const hub = await startMockHub({ repos: { "org/clip": { dir: model! } } });
    const opts = { dtype: "int8" as const, q8Policy: Q8_POLICIES.balanced, precision: "balanced" };
    const inputs = readTensors(goldenPath("clip/inputs/main.safetensors")!);
    const forward = (m: LoadedModel) =>
      runForward(m.model, {
        inputIds: inputs.input_ids,
        attentionMask: inputs.attention_mask,
        pixelValues: inputs.pixel_values,
      }, NO_HOOKS);
    try {
      const cache = (await webCache(name))!;
      const repo = hubRepo("org/clip", { hubEndpoint: hub.url });
      const first = await openInt8Cached(hubFileSet(repo, { cache }), opts);
      // the merges the package was written with serve this load's tokenizer too, and match the files
      const tables = async (files: LoadedModel["files"]) =>
        readResolved(
          await files.text(RESOLVED_FILE),
          await resolvedKey(await files.bytes("vocab.json"), await files.bytes("merges.txt")),
        );
      ok(await tables(first.files), "no usable resolved merges beside the first load's files");
      const keys = (await (await caches.open(name)).keys()).map((r) => r.url);
      ok(keys.some((u) => /edgeclip-int8-[0-9a-f]+\.safetensors$/.test(u)), keys.join());
      // weights are not kept in the web cache: only small files, refs and the package
      ok(!keys.some((u) => /blobs\/[0-9a-f]{64}$/.test(u)), keys.join());
      await hub.close();
      const again = await openInt8Cached(hubFileSet(repo, { cache, offline: true }), opts);
      strictEqual(again.isPackage, false); // a merge still starts from the repo's f32 weights
      const want = forward(await openModel(model!, opts));
      for (const m of [first, again]) {
        const got = forward(m);
        deepStrictEqual(got.textEmbeds!.data, want.textEmbeds!.data);
        deepStrictEqual(got.imageEmbeds!.data, want.imageEmbeds!.data);
      }
    } finally {
      await hub.close().catch(() => {});
      await caches.delete(name);
    }
  },
);
