// Step 3 of conversion: the package's metadata (format version, layout, towers, source checksum,
// embedded files) and the write itself. Entry point: convertClip.

import { EdgeClipError } from "../errors.ts";
import { type ByteSink, memorySink, writeSafetensors } from "../io/safetensors_write.ts";
import { type FileSet, resolveSource, type Source } from "../io/source.ts";
import {
  EMBEDDED_FILES,
  FORMAT_NAME,
  META,
  metaFile,
  PACKAGE_LAYOUT,
  PACKAGE_VERSION,
} from "./package.ts";
import { planPackage, type PlanRow } from "./plan.ts";
import { quantizeCheckpoint, type QuantizeOptions } from "./quantize.ts";
import { Sha256 } from "./sha256.ts";
import { RESOLVED_FILE, resolveMergesFile } from "../tokenizer/mod.ts";

/** What a conversion did. */
export interface ConvertReport {
  readonly bytes: number;
  readonly tensors: number;
  readonly sourceSha256: string;
  readonly towers: string;
  readonly rows: readonly PlanRow[];
  readonly ms: number;
}

/** SHA-256 of a file in a FileSet, read 8 MiB at a time. */
export async function sha256Of(files: FileSet, name: string): Promise<string> {
  const ra = await files.open(name);
  try {
    const h = new Sha256();
    const buf = new Uint8Array(8 << 20);
    for (let at = 0; at < ra.size; at += buf.length) {
      const part = buf.subarray(0, Math.min(buf.length, ra.size - at));
      await ra.read(at, part);
      h.update(part);
    }
    return h.hex();
  } finally {
    ra.close();
  }
}

/**
 * Converts a Hugging Face CLIP folder (path, URL or in-memory files) into an edgeclip int8 package
 * written to `sink`: packed int8 weights, their scales, f32 norms/biases, the int8 token table and
 * the config/tokenizer/preprocessor files in `__metadata__`.
 */
export async function convertClip(
  source: Source,
  sink: ByteSink,
  opts: QuantizeOptions = {},
): Promise<ConvertReport> {
  const t0 = performance.now();
  const { files, single } = await resolveSource(source);
  if (single) {
    throw new EdgeClipError(
      "invalid_input",
      `${single}: convert takes a Hugging Face folder (config.json beside model.safetensors)`,
    );
  }
  const q = await quantizeCheckpoint(files, opts);
  try {
    const metadata: Record<string, string> = {
      [META.format]: FORMAT_NAME,
      [META.version]: PACKAGE_VERSION,
      [META.dtype]: "int8",
      [META.layout]: PACKAGE_LAYOUT,
      [META.towers]: q.towers,
      [META.source]: files.label,
      [META.sourceSha256]: await sha256Of(files, "model.safetensors"),
    };
    for (const name of EMBEDDED_FILES) {
      if (name === "preprocessor_config.json" && !q.cfg.vision) continue;
      if (name !== "config.json" && name !== "preprocessor_config.json" && !q.cfg.text) continue;
      if (await files.exists(name)) metadata[metaFile(name)] = await files.text(name);
    }
    const vocab = metadata[metaFile("vocab.json")], merges = metadata[metaFile("merges.txt")];
    if (vocab !== undefined && merges !== undefined) {
      // resolved from the embedded text itself, so the loader's hash of those files matches
      // (a cache only: files the tokenizer cannot read get none, and fail at text use as before)
      const enc = new TextEncoder();
      try {
        metadata[metaFile(RESOLVED_FILE)] = await resolveMergesFile(
          enc.encode(vocab),
          enc.encode(merges),
        );
      } catch (e) {
        if (!(e instanceof EdgeClipError)) throw e;
      }
    }
    const { tensors, rows } = planPackage(q);
    const bytes = await writeSafetensors(sink, tensors, metadata);
    return {
      bytes,
      tensors: tensors.length,
      sourceSha256: metadata[META.sourceSha256],
      towers: q.towers,
      rows,
      ms: performance.now() - t0,
    };
  } finally {
    q.source.close();
  }
}

/** convertClip into memory: the package as one Uint8Array (small models, tests, edge uploads). */
export async function convertClipToBytes(
  source: Source,
  opts: QuantizeOptions = {},
): Promise<{ bytes: Uint8Array; report: ConvertReport }> {
  const sink = memorySink();
  const report = await convertClip(source, sink, opts);
  return { bytes: sink.bytes(), report };
}
