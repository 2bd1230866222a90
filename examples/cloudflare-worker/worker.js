// edgeclip in a Cloudflare Worker: the HTTP handler (POST /v1/embeddings, /v1/classify,
// GET /healthz) over a model fetched by URL. Workers forbid compiling WebAssembly at run time, so
// the kernels come in as wasm module imports and are handed over with setKernelModules.

import { loadClip, setKernelModules } from "edgeclip";
import { createHandler } from "edgeclip/server";
import relaxed from "edgeclip/kernels_relaxed.wasm";
import simd128 from "edgeclip/kernels_simd128.wasm";

setKernelModules({ relaxed, simd128 });

/** One model per isolate, loaded by the first request (Workers allow no I/O at start-up). */
let handler;

function load(env) {
  const model = env.EDGECLIP_MODEL;
  if (!model) throw new Error("set EDGECLIP_MODEL to the model's URL (a folder or a package file)");
  // a 128 MB isolate holds a one-tower int8 package of ViT-B/32, not both towers (see README.md)
  return loadClip(model, { towers: env.EDGECLIP_TOWERS || "both" }).then((clip) =>
    createHandler(clip, { maxBatch: 16, cors: env.EDGECLIP_CORS || undefined })
  );
}

export default {
  async fetch(request, env) {
    handler ??= load(env).catch((e) => {
      handler = undefined; // a failed load is retried by the next request
      throw e;
    });
    return (await handler)(request);
  },
};
