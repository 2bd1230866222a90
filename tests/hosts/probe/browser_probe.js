// Browser side of the host probe (loaded by browser.html, "edgeclip" mapped to the installed
// package): runs the probe with the model from a URL and from Files, images as Blobs and as
// ImageData, checks that a path fails clearly, and posts everything to the test's /result.

import * as edgeclip from "edgeclip";
import { probe } from "./probe.js";

async function inputs(spec) {
  const blob = async (url) => (await fetch(url)).blob();
  const rgba = new Uint8ClampedArray(await (await blob(spec.pixels.url)).arrayBuffer());
  return {
    texts: spec.texts,
    images: await Promise.all(spec.images.map(blob)),
    pixels: new ImageData(rgba, spec.pixels.width, spec.pixels.height),
  };
}

async function main() {
  const spec = await (await fetch("/spec.json")).json();
  const given = await inputs(spec);
  const fromUrl = await probe(edgeclip, { ...given, model: new URL("/model/", location.href) });
  const files = await Promise.all(
    spec.modelFiles.map(async (n) => new File([await (await fetch(`/model/${n}`)).blob()], n)),
  );
  const fromFiles = await probe(edgeclip, { ...given, model: files });
  // a relative path ("models/clip" alone would be a Hub id)
  const e = await edgeclip.loadClip("./models/clip").catch((err) => err);
  const pathError = {
    isEdgeClipError: e instanceof edgeclip.EdgeClipError,
    code: e.code,
    message: e.message,
  };
  return { fromUrl, fromFiles, pathError, userAgent: navigator.userAgent };
}

const result = await main().catch((e) => ({ error: String(e?.stack ?? e) }));
await fetch("/result", { method: "POST", body: JSON.stringify(result) });
