// Files the caller hands over in memory: bytes, text, Blobs (a browser File) or ReadableStreams,
// by name. The caller's bytes stay the caller's: small files are copied when read, weights are
// read tensor by tensor straight from the caller's buffer (or Blob, or stream), and nothing keeps
// a reference once the load has closed the weight file.

import { EdgeClipError } from "../errors.ts";
import type { RandomAccess } from "./host.ts";
import { readCapped } from "./read_capped.ts";
import type { FileSet } from "./source.ts";
import { streamAccess } from "./stream_access.ts";

/** A file in memory. */
export type MemoryFile = Uint8Array | ArrayBuffer | string | Blob | ReadableStream<Uint8Array>;

/** In-memory files: name → content. */
export type MemoryFiles = Record<string, MemoryFile>;

function unavailable(label: string, name: string, why: string): EdgeClipError {
  return new EdgeClipError("source_unavailable", `cannot read ${name} from ${label}: ${why}`, {
    source: label,
    file: name,
  });
}

/** Reads of a buffer; close() drops the reference (the caller's bytes are not held). */
function bufferAccess(data: Uint8Array): RandomAccess {
  let bytes: Uint8Array | null = data;
  return {
    size: data.length,
    read(offset, dest) {
      if (!bytes) return Promise.reject(new RangeError("read after close"));
      if (offset < 0 || offset + dest.length > bytes.length) {
        return Promise.reject(
          new RangeError(`read past end (${offset}+${dest.length} > ${bytes.length})`),
        );
      }
      dest.set(bytes.subarray(offset, offset + dest.length));
      return Promise.resolve();
    },
    close() {
      bytes = null;
    },
  };
}

/** Reads of a Blob, a slice at a time. */
function blobAccess(data: Blob): RandomAccess {
  let blob: Blob | null = data;
  return {
    size: data.size,
    async read(offset, dest) {
      if (!blob) throw new RangeError("read after close");
      if (offset < 0 || offset + dest.length > blob.size) {
        throw new RangeError(`read past end (${offset}+${dest.length} > ${blob.size})`);
      }
      dest.set(new Uint8Array(await blob.slice(offset, offset + dest.length).arrayBuffer()));
    },
    close() {
      blob = null;
    },
  };
}

const isStream = (v: unknown): v is ReadableStream<Uint8Array> =>
  typeof ReadableStream !== "undefined" && v instanceof ReadableStream;
const isBlob = (v: unknown): v is Blob => typeof Blob !== "undefined" && v instanceof Blob;

/**
 * Files held in memory. `sequential` names a file read front to back (an edgeclip package given
 * alone): as a stream it is read as it arrives. Any other stream is read whole when first used
 * (a Hugging Face model.safetensors is not stored in the order a model loads it).
 */
export function memoryFileSet(
  files: MemoryFiles,
  label = "in-memory files",
  opts: { sequential?: string } = {},
): FileSet {
  // own entries only: a file named "constructor" is not Object.prototype.constructor
  const has = (name: string) => Object.hasOwn(files, name) && files[name] !== undefined;
  const drained = new Map<string, Promise<Uint8Array>>(); // a stream is read once
  const get = (name: string): MemoryFile => {
    if (!has(name)) throw unavailable(label, name, "not among the given files");
    return files[name];
  };
  const whole = async (name: string): Promise<Uint8Array> => {
    const v = get(name);
    if (typeof v === "string") return new TextEncoder().encode(v);
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (isBlob(v)) return new Uint8Array(await v.arrayBuffer());
    if (!isStream(v)) throw unavailable(label, name, "not bytes, text, a Blob or a stream");
    let p = drained.get(name);
    if (!p) {
      drained.set(
        name,
        p = readCapped(v, Number.MAX_SAFE_INTEGER, () => {
          throw unavailable(label, name, "too large");
        }),
      );
    }
    return await p;
  };
  return {
    label,
    transient: true,
    exists: (name) => Promise.resolve(has(name)),
    // a copy of the caller's bytes: nothing made from them outlives the load
    async bytes(name) {
      const v = get(name);
      const b = await whole(name);
      return v instanceof Uint8Array || v instanceof ArrayBuffer ? b.slice() : b;
    },
    text: async (name) => new TextDecoder().decode(await whole(name)),
    async open(name) {
      const v = get(name);
      if (isBlob(v)) return blobAccess(v);
      if (!isStream(v)) return bufferAccess(await whole(name));
      const sequential = name === opts.sequential && !drained.has(name);
      const b = sequential ? undefined : await whole(name);
      // the stream is the reader's now: the set keeps nothing of it
      const gone = Promise.reject(unavailable(label, name, "its stream was read already"));
      gone.catch(() => {});
      drained.set(name, gone);
      if (b) return bufferAccess(b);
      return streamAccess({
        size: Infinity,
        first: { body: v, start: 0 },
        fail: (why) => unavailable(label, name, why),
      });
    },
  };
}

/** `base` with `extra` in front: a name in `extra` is read from it, any other from `base`. */
export function withFiles(base: FileSet, extra: Record<string, Uint8Array>): FileSet {
  const own = memoryFileSet(extra, base.label);
  const mine = (name: string) => Object.hasOwn(extra, name);
  return {
    label: base.label,
    transient: base.transient,
    exists: (name) => mine(name) ? Promise.resolve(true) : base.exists(name),
    bytes: (name) => (mine(name) ? own : base).bytes(name),
    text: (name) => (mine(name) ? own : base).text(name),
    open: (name) => (mine(name) ? own : base).open(name),
  };
}
