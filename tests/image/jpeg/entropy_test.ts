// assembly/jpeg_entropy.ts (through WasmScanDecoder) against the TypeScript ScanDecoder
// (src/image/jpeg/entropy.ts): identical coefficients for every scan of every fixture, and on
// random entropy-coded data (which is mostly corrupt) the same outcome — the same coefficients,
// or both rejecting it with the same error.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { ScanDecoder } from "../../../src/image/jpeg/entropy.ts";
import { type JpegFile, parseJpeg, type Scan } from "../../../src/image/jpeg/markers.ts";
import { unstuffScan } from "../../../src/image/jpeg/scan_data.ts";
import {
  allocEntropyArena,
  intervalsOf,
  WasmScanDecoder,
} from "../../../src/image/jpeg/wasm_entropy.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { forAll } from "../../_util/property.ts";
import { fixtureCases, readFixture } from "./_util.ts";

const k = Kernels.create();

type Outcome = { coefs: Int16Array[] } | { error: string };

function errorOf(e: unknown): { error: string } {
  if (!(e instanceof EdgeClipError)) throw e;
  return { error: e.message };
}

/** All scans through the TypeScript decoder. */
function decodeTs(bytes: Uint8Array, file: JpegFile): Outcome {
  const f = file.frame;
  const coefs = f.components.map((c) => new Int16Array(c.blocksW * c.blocksH * 64));
  try {
    for (const s of file.scans) {
      const buf = new Uint8Array(s.end - s.start);
      const sd = unstuffScan(bytes, s.start, s.end, buf, intervalsOf(f, s));
      new ScanDecoder(f, s, buf, sd).decodeRows(0, f.mcusY, { coefs, rowBase: 0 });
    }
  } catch (e) {
    return errorOf(e);
  }
  return { coefs };
}

/** All scans through the wasm decoder. */
function decodeWasm(bytes: Uint8Array, file: JpegFile): Outcome {
  const f = file.frame;
  return k.scratch(() => {
    const coefs = f.components.map((c) => k.zeros("i16", c.blocksW * c.blocksH * 64));
    const arena = allocEntropyArena(k, f, file.scans);
    try {
      for (const s of file.scans) {
        new WasmScanDecoder(arena, bytes, f, s, coefs).decodeRows(0, f.mcusY, 0);
      }
    } catch (e) {
      return errorOf(e);
    }
    return { coefs: coefs.map((c) => k.readBuf(c)) };
  });
}

Deno.test("entropy: wasm and TypeScript decoders agree on every fixture scan", () => {
  for (const c of fixtureCases()) {
    const bytes = readFixture(c.file), file = parseJpeg(bytes, { maxPixels: 1 << 30 });
    const ts = decodeTs(bytes, file), wasm = decodeWasm(bytes, file);
    strictEqual("coefs" in ts, true, c.file);
    deepStrictEqual(wasm, ts, c.file);
  }
});

/** `file` with scan `si`'s data replaced by `data` (already free of markers). */
function withScanData(bytes: Uint8Array, file: JpegFile, si: number, data: Uint8Array) {
  const s: Scan = file.scans[si];
  const out = new Uint8Array(bytes.length - (s.end - s.start) + data.length);
  out.set(bytes.subarray(0, s.start));
  out.set(data, s.start);
  out.set(bytes.subarray(s.end), s.start + data.length);
  return out;
}

Deno.test("entropy: random scan data gives the same outcome in both decoders", () => {
  const names = [
    "base420_33x33_rst.jpg",
    "prog420_17x9.jpg",
    "grey_prog_rst_45x30.jpg",
    "ycck_prog_sub_30x22.jpg",
    "smooth_unrefined_42x26.jpg",
    "base440_31x47.jpg",
  ];
  const files = names.map((n) => {
    const bytes = readFixture(n);
    return { n, bytes, file: parseJpeg(bytes, { maxPixels: 1 << 30 }) };
  });
  const seen = { ok: 0, error: 0 };
  forAll("random-scan", 400, (rng) => {
    const { n, bytes, file } = rng.pick(files);
    const si = rng.int(0, file.scans.length - 1), s = file.scans[si];
    // keep the original length roughly, bias towards real-looking bytes; escape FF as FF 00
    const len = Math.max(1, Math.round((s.end - s.start) * rng.uniform(0.5, 1.5)));
    const raw: number[] = [];
    for (let i = 0; i < len; i++) {
      const b = rng.next() < 0.5
        ? bytes[s.start + (i % (s.end - s.start))] ^ (1 << rng.int(0, 7))
        : rng.int(0, 255);
      if (b === 0xff) raw.push(0xff, 0x00);
      else raw.push(b);
    }
    return { n, si, bytes: withScanData(bytes, file, si, Uint8Array.from(raw)) };
  }, ({ bytes }) => {
    let file: JpegFile;
    try {
      file = parseJpeg(bytes, { maxPixels: 1 << 30 });
    } catch {
      return; // too short for its blocks: rejected before decoding, in both pipelines
    }
    const ts = decodeTs(bytes, file), wasm = decodeWasm(bytes, file);
    deepStrictEqual(wasm, ts);
    seen["coefs" in ts ? "ok" : "error"]++;
  }, ({ n, si }) => `${n} scan ${si}`);
  strictEqual(seen.ok > 10 && seen.error > 10, true, JSON.stringify(seen));
});
