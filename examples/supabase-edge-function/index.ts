// edgeclip as a Supabase Edge Function named "edgeclip": the HTTP handler over the model named by
// the secret EDGECLIP_MODEL (a URL of a folder in the Hugging Face layout or of a package file
// made by `deno task convert`; or a Hub id, where loadClip resolves Hub ids). Supabase passes the
// function's name in the path, so the routes sit under /edgeclip: POST
// /functions/v1/edgeclip/v1/embeddings reaches /v1/embeddings here. To deploy, copy this file and
// deno.json (with the imports pointing at JSR or npm) to supabase/functions/edgeclip/, then
//   supabase secrets set EDGECLIP_MODEL=https://… && supabase functions deploy edgeclip

import { loadClip } from "edgeclip";
import { createHandler } from "edgeclip/server";

const model = Deno.env.get("EDGECLIP_MODEL");
if (!model) throw new Error("set the secret EDGECLIP_MODEL to the model's URL");
// A function has 256 MB: ViT-B/32 runs only as int8, which peaks at ~225 MiB RSS with both towers
// (read from its URL by ranges); a one-tower package (`deno task convert --towers text` or
// `vision`) leaves more room (README.md, "Install", has the figures).
const clip = await loadClip(model, { dtype: "int8" });

Deno.serve(createHandler(clip, { basePath: "/edgeclip" }));
