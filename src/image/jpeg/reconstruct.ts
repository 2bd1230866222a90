// From parsed headers to pixels in linear memory: entropy-decode the scans into coefficient
// blocks, IDCT them into component planes, then upsample and colour-convert row by row into the
// output. A single-scan image is decoded and transformed one iMCU row at a time (only one row of
// coefficients is held); a multi-scan (progressive) image keeps every coefficient until its last
// scan. All memory is scratch released when the call returns.

import type { I16Buf, Kernels, U8Buf } from "../../wasm/kernels.ts";
import {
  COLOR_TMP_BYTES,
  IDCT_WORKSPACE_BYTES,
  JpegKernels,
  type Row,
  rowIn,
} from "../../wasm/jpeg.ts";
import type { DecodedImage } from "../types.ts";
import { colorTransform, type FrameComponent, sourceRows } from "./layout.ts";
import type { JpegFile } from "./markers.ts";
import { coefBits, needsSmoothing, smoothComponent } from "./smoothing.ts";
import { allocEntropyArena, WasmScanDecoder } from "./wasm_entropy.ts";

/** Output rows converted per copy out of linear memory (about 1 MiB at a time). */
const CHUNK_BYTES = 1 << 20;

interface Plane {
  readonly buf: U8Buf;
  readonly stride: number;
  /** Rows of the plane the IDCT writes and the upsampler reads, moved row to row. */
  readonly out: Row;
  readonly near: Row;
  readonly far: Row;
}

/** Decodes the image data of a parsed file (see markers.ts) with the wasm kernels. */
export function reconstruct(bytes: Uint8Array, file: JpegFile, k: Kernels): DecodedImage {
  const f = file.frame, j = new JpegKernels(k);
  const W = f.width, H = f.height;
  const transform = colorTransform(f, file.jfif, file.adobeTransform);
  const ch = transform === "grey" ? 1 : transform === "ycc" || transform === "rgb" ? 3 : 4;
  const out = new Uint8Array(W * H * ch);
  k.scratch(() => {
    // ---- layout ---------------------------------------------------------------------------
    const quant = f.components.map((_, ci) =>
      k.bufFrom("i32", file.quant[ci] ?? new Int32Array(64))
    );
    const planes: Plane[] = f.components.map((c) => {
      const stride = c.blocksW * 8, buf = k.buf("u8", stride * c.blocksH * 8 + 64);
      return { buf, stride, out: rowIn(buf), near: rowIn(buf), far: rowIn(buf) };
    });
    // coefficient blocks: a whole image for multi-scan files, one iMCU row otherwise
    const coefRows = (c: FrameComponent) => (file.multiScan ? c.blocksH : c.v);
    const coefs: I16Buf[] = f.components.map((c) => k.zeros("i16", c.blocksW * coefRows(c) * 64));
    const ws = k.buf("u8", IDCT_WORKSPACE_BYTES), tmp = k.buf("u8", COLOR_TMP_BYTES);
    // an upsampled row (full-size components are read from their planes directly)
    const rowBuf = f.components.map((c) =>
      c.upsample === "full" ? undefined : rowIn(k.buf("u8", 2 * c.dw + W + 64))
    );
    const chunkRows = Math.max(1, Math.min(H, Math.floor(CHUNK_BYTES / (W * ch))));
    const chunk = k.buf("u8", chunkRows * W * ch + 64), o = rowIn(chunk);
    const arena = allocEntropyArena(k, f, file.scans);

    // IDCT of iMCU row r of component ci, from coefficient block row `from` onwards
    const idctRow = (ci: number, r: number, from: number) => {
      const c = f.components[ci], p = planes[ci];
      for (let v = 0; v < c.v; v++) {
        const br = r * c.v + v;
        if (br >= c.heightInBlocks) break;
        p.out.at = br * 8 * p.stride;
        j.idct(coefs[ci], (from + v) * c.blocksW, quant[ci], p.out, p.stride, c.widthInBlocks, ws);
      }
    };

    // ---- entropy decoding and IDCT ----------------------------------------------------------
    const decoderFor = (scanIndex: number) =>
      new WasmScanDecoder(arena, bytes, f, file.scans[scanIndex], coefs);
    if (!file.multiScan) {
      const dec = decoderFor(0);
      for (let r = 0; r < f.mcusY; r++) {
        for (const c of coefs) k.fill(c, 0);
        dec.decodeRows(r, r + 1, r);
        for (let ci = 0; ci < f.components.length; ci++) idctRow(ci, r, 0);
      }
    } else {
      for (let s = 0; s < file.scans.length; s++) decoderFor(s).decodeRows(0, f.mcusY, 0);
      const bits = coefBits(file);
      if (needsSmoothing(file, bits)) {
        f.components.forEach((_, ci) =>
          k.withView(coefs[ci], (v) => smoothComponent(f, ci, v, file.quant[ci]!, bits[ci]))
        );
      }
      for (let ci = 0; ci < f.components.length; ci++) {
        for (let r = 0; r < f.mcusY; r++) idctRow(ci, r, r * f.components[ci].v);
      }
    }

    // ---- upsampling and colour conversion, a chunk of output rows at a time ------------------
    const rowOf = (ci: number, y: number): Row => {
      const c = f.components[ci], p = planes[ci], dst = rowBuf[ci]!;
      const { near, far, bias } = sourceRows(c, y);
      const np = p.near, fp = p.far;
      np.at = near * p.stride;
      fp.at = far * p.stride;
      switch (c.upsample) {
        case "full":
          return np;
        case "h2v1_fancy":
          j.h2v1Fancy(np, c.dw, dst);
          break;
        case "h2v2_fancy":
          j.h2v2Fancy(np, fp, c.dw, dst);
          break;
        case "h1v2_fancy":
          j.h1v2Fancy(np, fp, c.dw, bias, dst);
          break;
        case "box":
          j.boxRow(np, W, c.hExpand, dst);
          break;
      }
      return dst;
    };
    const rowBytes = W * ch, p: Row[] = f.components.map((_, ci) => planes[ci].near);
    for (let y0 = 0; y0 < H; y0 += chunkRows) {
      const y1 = Math.min(H, y0 + chunkRows);
      for (let y = y0; y < y1; y++) {
        o.at = (y - y0) * rowBytes;
        for (let ci = 0; ci < p.length; ci++) p[ci] = rowOf(ci, y);
        switch (transform) {
          case "grey":
            j.copy(p[0], o, W);
            break;
          case "ycc":
            j.yccRgb(p[0], p[1], p[2], o, W, tmp);
            break;
          case "rgb":
            j.interleave3(p[0], p[1], p[2], o, W);
            break;
          case "cmyk":
            j.interleave4Inv(p[0], p[1], p[2], p[3], o, W);
            break;
          case "ycck":
            j.ycckCmyk(p[0], p[1], p[2], p[3], o, W, tmp);
            break;
        }
      }
      k.readBufInto(k.slice(chunk, 0, (y1 - y0) * rowBytes), out, y0 * rowBytes);
    }
  });
  const mode = ch === 1 ? "L" : ch === 3 ? "RGB" : "CMYK";
  return {
    width: W,
    height: H,
    mode,
    data: out,
    format: "JPEG",
    ...(file.exifOrientation !== undefined ? { exifOrientation: file.exifOrientation } : {}),
  };
}
