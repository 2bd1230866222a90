// Node side of the host probe: `node node_probe.mjs INPUTS.json` prints the probe's JSON; inputs
// name the model (a path or URL) and the image files. Also `--missing PATH` prints the error
// a missing model path gives, and `--hub ENDPOINT ID CACHE [offline]` the int8 text embedding of
// a Hub id loaded through the download cache in CACHE, with the files the cache then holds.

import * as edgeclip from "edgeclip";
import { readdir, readFile } from "node:fs/promises";
import { probe } from "./probe.js";

const [flag, arg, ...rest] = process.argv.slice(2);
if (flag === "--hub") {
  const [id, cacheDir, offline] = rest;
  const clip = await edgeclip.loadClip(id, {
    hubEndpoint: arg,
    cacheDir,
    dtype: "int8",
    offline: offline === "offline",
  });
  const [embedding] = await clip.embedText(["a photo of a cat"]);
  const files = await readdir(cacheDir, { recursive: true });
  console.log(JSON.stringify({ embedding: [...embedding], files }));
} else if (flag === "--missing") {
  const err = await edgeclip.loadClip(arg).catch((e) => e);
  console.log(JSON.stringify({
    isEdgeClipError: err instanceof edgeclip.EdgeClipError,
    code: err.code,
    message: err.message,
  }));
} else {
  const spec = JSON.parse(await readFile(flag, "utf8"));
  const images = await Promise.all(spec.images.map((p) => readFile(p)));
  const rgba = new Uint8Array(await readFile(spec.pixels.file));
  const out = await probe(edgeclip, {
    model: spec.model,
    texts: spec.texts,
    images,
    pixels: { data: rgba, width: spec.pixels.width, height: spec.pixels.height },
  });
  console.log(JSON.stringify(out));
}
