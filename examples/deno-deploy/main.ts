// edgeclip on Deno Deploy: the HTTP handler (POST /v1/embeddings, /v1/classify, GET /healthz)
// over the model named by the environment variable EDGECLIP_MODEL: a URL of a folder in the
// Hugging Face layout or of a package file made by `deno task convert` (or a Hub id, where
// loadClip resolves Hub ids). The model loads once per isolate, before the first request is taken.
//   EDGECLIP_MODEL=https://… deno run --allow-net --allow-env --allow-read main.ts   (locally)

import { loadClip } from "edgeclip";
import { createHandler } from "edgeclip/server";

const model = Deno.env.get("EDGECLIP_MODEL");
if (!model) throw new Error("set EDGECLIP_MODEL to the model's URL (a folder or a package file)");
// A Deploy isolate has 512 MB and ViT-B/32's f32 weights alone take ~600 MB. As int8 (both
// towers, read from its URL by ranges) it peaks at ~225 MiB RSS (README.md, "Install").
const clip = await loadClip(model, { dtype: "int8" });

Deno.serve(createHandler(clip));
