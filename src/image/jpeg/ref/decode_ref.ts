// A naive JPEG decoder built only from the TypeScript references (entropy.ts, ref/*.ts): whole
// coefficient arrays, one IDCT per block, one upsampled plane per component. The wasm pipeline
// (../mod.ts) must give the same bytes; tests compare the two on many generated files.

import type { DecodedImage, DecodeLimits } from "../../types.ts";
import { ScanDecoder } from "../entropy.ts";
import { colorTransform, sourceRows } from "../layout.ts";
import { parseJpeg } from "../markers.ts";
import { unstuffScan } from "../scan_data.ts";
import { coefBits, needsSmoothing, smoothComponent } from "../smoothing.ts";
import { idctIslowRef } from "./idct_islow.ts";
import { interleaveRef, ycckToPilCmykRef, yccToRgbRef } from "./color.ts";
import { boxRowRef, h1v2FancyRef, h2v1FancyRef, h2v2FancyRef } from "./upsample.ts";

/** Decodes `bytes` like decodeJpeg, in plain TypeScript (slow; for tests). */
export function decodeJpegRef(bytes: Uint8Array, limits: DecodeLimits): DecodedImage {
  const file = parseJpeg(bytes, limits);
  const f = file.frame;
  const coefs = f.components.map((c) => new Int16Array(c.blocksW * c.blocksH * 64));
  const buf = new Uint8Array(bytes.length);
  for (const scan of file.scans) {
    const total = ScanDecoder.mcuCount(f, scan);
    const intervals = scan.restartInterval ? Math.ceil(total / scan.restartInterval) : 1;
    const sd = unstuffScan(bytes, scan.start, scan.end, buf, intervals);
    const dec = new ScanDecoder(f, scan, buf, sd);
    dec.decodeRows(0, f.mcusY, { coefs, rowBase: 0 });
  }
  const bits = coefBits(file);
  if (needsSmoothing(file, bits)) {
    f.components.forEach((_, ci) => smoothComponent(f, ci, coefs[ci], file.quant[ci]!, bits[ci]));
  }
  // IDCT every block into a plane of blocksW·8 × blocksH·8 samples
  const planes = f.components.map((c, ci) => {
    const stride = c.blocksW * 8;
    const plane = new Uint8Array(stride * c.blocksH * 8);
    const q = file.quant[ci] ?? new Int32Array(64); // a component no scan coded is all zeros
    for (let by = 0; by < c.blocksH; by++) {
      for (let bx = 0; bx < c.blocksW; bx++) {
        idctIslowRef(
          coefs[ci],
          (by * c.blocksW + bx) * 64,
          q,
          plane,
          by * 8 * stride + bx * 8,
          stride,
        );
      }
    }
    return { plane, stride };
  });
  const W = f.width, H = f.height;
  // upsample each component to W×H
  const full = f.components.map((c, ci) => {
    const { plane, stride } = planes[ci];
    const out = new Uint8Array(W * H);
    const row = new Uint8Array(2 * c.dw + W);
    for (let y = 0; y < H; y++) {
      const { near, far, bias } = sourceRows(c, y);
      const np = near * stride, fp = far * stride;
      switch (c.upsample) {
        case "full":
          row.set(plane.subarray(np, np + W));
          break;
        case "h2v1_fancy":
          h2v1FancyRef(plane, np, c.dw, row, 0);
          break;
        case "h2v2_fancy":
          h2v2FancyRef(plane, np, plane, fp, c.dw, row, 0);
          break;
        case "h1v2_fancy":
          h1v2FancyRef(plane, np, plane, fp, c.dw, bias, row, 0);
          break;
        case "box":
          boxRowRef(plane, np, W, c.hExpand, row, 0);
          break;
      }
      out.set(row.subarray(0, W), y * W);
    }
    return out;
  });
  const n = W * H;
  const base = {
    width: W,
    height: H,
    format: "JPEG" as const,
    exifOrientation: file.exifOrientation,
  };
  switch (colorTransform(f, file.jfif, file.adobeTransform)) {
    case "grey":
      return { ...base, mode: "L", data: full[0] };
    case "ycc": {
      const data = new Uint8Array(3 * n);
      yccToRgbRef(full[0], full[1], full[2], n, data);
      return { ...base, mode: "RGB", data };
    }
    case "rgb": {
      const data = new Uint8Array(3 * n);
      interleaveRef(full, n, false, data);
      return { ...base, mode: "RGB", data };
    }
    case "cmyk": {
      const data = new Uint8Array(4 * n);
      interleaveRef(full, n, true, data);
      return { ...base, mode: "CMYK", data };
    }
    case "ycck": {
      const data = new Uint8Array(4 * n);
      ycckToPilCmykRef(full[0], full[1], full[2], full[3], n, data);
      return { ...base, mode: "CMYK", data };
    }
  }
}
