// Node side of the host probe: `node node_probe.mjs INPUTS.json` prints the probe's JSON; inputs
// name the model (a path or URL) and the image files. Also `--missing PATH` prints the error
// a missing model path gives.

import * as edgeclip from "edgeclip";
import { readFile } from "node:fs/promises";
import { probe } from "./probe.js";

const [flag, arg] = process.argv.slice(2);
if (flag === "--missing") {
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
