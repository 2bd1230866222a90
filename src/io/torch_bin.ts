// PyTorch `.bin` files (torch.save of a state dict, zip format): `<archive>/data.pkl` (the dict,
// read by the restricted unpickler) and `<archive>/data/<key>` (raw little-endian storages).
// readTorchBin reads one held in memory into name → f32 tensor (strides and storage offsets
// honoured, non-contiguous tensors gathered); torchBinTensors locates the tensors of one opened
// for random access, to be read in place like safetensors entries (a model's pytorch_model.bin).
// Nothing in the file is ever executed. Anything unexpected is an EdgeClipError("adapter_format",
// or the code the caller names).

import { EdgeClipError, type ErrorCode } from "../errors.ts";
import type { RandomAccess } from "./host.ts";
import { type Dtype, DTYPE_BYTES, type TensorEntry, toF32 } from "./safetensors.ts";
import { PTensor, unpickle } from "./pickle.ts";
import { crc32, readZip, zipDirectory } from "./zip.ts";

/** A dense f32 tensor read from a weight file. */
export interface F32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Float storages we convert to f32 (adapter weights are floats). */
const FLOAT_STORAGE: Record<string, Dtype> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
};

function fail(file: string, msg: string, ctx: Record<string, unknown> = {}): never {
  throw new EdgeClipError("adapter_format", `${file}: ${msg}`, { file, ...ctx });
}

type Fail = (msg: string, ctx?: Record<string, unknown>) => never;

/** Refuses the pre-1.6 pickle-only format, from the file's first two bytes. */
function checkNotLegacy(first: Uint8Array, bad: Fail): void {
  if (first.length >= 2 && first[0] === 0x80 && first[1] <= 5) {
    bad("legacy (pre-1.6, non-zip) torch.save format; re-save it with a recent PyTorch");
  }
}

/** The archive's root folder ("archive/"): where its one data.pkl is. */
function archiveRoot(names: readonly string[], bad: Fail): string {
  const pkl = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) bad("not a PyTorch archive (no single <archive>/data.pkl)");
  return pkl[0].slice(0, -"data.pkl".length);
}

function checkByteOrder(order: Uint8Array | undefined, bad: Fail): void {
  if (order && new TextDecoder().decode(order) !== "little") {
    bad("big-endian storages are not supported");
  }
}

/** One state-dict tensor, its element type and its storage's archive entry. */
interface StateTensor<E> {
  readonly name: string;
  readonly t: PTensor;
  readonly dtype: Dtype;
  readonly storage: E;
}

/**
 * The unpickled state dict's tensors, each checked: a string key, a tensor, a storage type of
 * `dtypes` (`what` says why another is refused), its storage in the archive at its full size.
 */
function stateTensors<E>(
  dict: unknown,
  storages: { get(name: string): E | undefined; size(e: E): number; root: string },
  dtypes: Record<string, Dtype>,
  what: string,
  bad: Fail,
): StateTensor<E>[] {
  if (!(dict instanceof Map)) bad("the pickled object is not a state dict");
  const out: StateTensor<E>[] = [];
  for (const [name, t] of dict) {
    if (typeof name !== "string") bad("a state-dict key is not a string");
    if (!(t instanceof PTensor)) bad(`${name} is not a tensor`, { key: name });
    const type = t.storage.storageType;
    const dtype = Object.hasOwn(dtypes, type) ? dtypes[type] : undefined;
    if (!dtype) bad(`${name} is stored as ${type}${what}`, { key: name });
    const storage = storages.get(`${storages.root}data/${t.storage.key}`);
    if (storage === undefined) bad(`storage ${t.storage.key} of ${name} is missing`, { key: name });
    const want = t.storage.numel * DTYPE_BYTES[dtype];
    if (storages.size(storage) !== want) {
      bad(`storage ${t.storage.key} has ${storages.size(storage)} bytes, want ${want}`, {
        key: name,
      });
    }
    out.push({ name, t, dtype, storage });
  }
  return out;
}

/** Reads a torch.save'd state dict of float tensors. */
export function readTorchBin(
  bytes: Uint8Array,
  file = "pytorch_model.bin",
): Map<string, F32Tensor> {
  const bad: Fail = (msg, ctx) => fail(file, msg, ctx);
  checkNotLegacy(bytes, bad);
  const entries = readZip(bytes, file);
  const byName = new Map(entries.map((e) => [e.name, e.data]));
  const root = archiveRoot([...byName.keys()], bad);
  checkByteOrder(byName.get(`${root}byteorder`), bad);
  const dict = unpickle(byName.get(`${root}data.pkl`)!, `${file}:${root}data.pkl`);
  const storages = { get: (n: string) => byName.get(n), size: (d: Uint8Array) => d.length, root };
  const out = new Map<string, F32Tensor>();
  const what = "; adapter weights must be floats";
  for (
    const { name, t, dtype, storage } of stateTensors(dict, storages, FLOAT_STORAGE, what, bad)
  ) {
    const all = new Float32Array(t.storage.numel);
    toF32(storage, dtype, all, name);
    out.set(name, { shape: [...t.size], data: gather(all, t, name, file) });
  }
  return out;
}

/** The tensor's elements in row-major order, from its storage, offset and strides. */
function gather(storage: Float32Array, t: PTensor, name: string, file: string): Float32Array {
  const n = t.size.reduce((a, d) => a * d, 1);
  if (n === 0) return new Float32Array(0);
  let last = t.offset;
  t.size.forEach((d, i) => (last += (d - 1) * t.stride[i]));
  if (last >= storage.length) {
    fail(file, `${name} reads past the end of its storage`, { key: name });
  }
  // contiguous: strides are the row-major suffix products
  let contiguous = true, s = 1;
  for (let i = t.size.length - 1; i >= 0; i--) {
    if (t.size[i] !== 1 && t.stride[i] !== s) contiguous = false;
    s *= t.size[i];
  }
  if (contiguous) return storage.slice(t.offset, t.offset + n);
  const out = new Float32Array(n);
  const idx = new Array(t.size.length).fill(0);
  for (let k = 0; k < n; k++) {
    let at = t.offset;
    for (let i = 0; i < idx.length; i++) at += idx[i] * t.stride[i];
    out[k] = storage[at];
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i] < t.size[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** Every storage type, as the safetensors dtype of its elements (for reading in place). */
const STORAGE_DTYPE: Record<string, Dtype> = {
  ...FLOAT_STORAGE,
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

/**
 * The tensors of a torch.save'd state dict opened for random access: the archive's directory,
 * data.pkl and byteorder are read (the pickle restricted as in readTorchBin); tensor data stays
 * in the file. Each tensor must be contiguous in its storage (state dicts are).
 */
export async function torchBinTensors(
  ra: RandomAccess,
  file: string,
  code: ErrorCode = "adapter_format",
): Promise<TensorEntry[]> {
  const bad: Fail = (msg, ctx = {}) => {
    throw new EdgeClipError(code, `${file}: ${msg}`, { file, ...ctx });
  };
  const first = new Uint8Array(Math.min(2, ra.size));
  await ra.read(0, first);
  checkNotLegacy(first, bad);
  const spans = await zipDirectory(ra, file, code);
  const read = async (e: (typeof spans)[number]) => {
    const bytes = new Uint8Array(e.size);
    await ra.read(e.start, bytes);
    if (crc32(bytes) !== e.crc) bad(`entry ${e.name}: CRC mismatch (corrupted data)`);
    return bytes;
  };
  const byName = new Map(spans.map((e) => [e.name, e]));
  const root = archiveRoot([...byName.keys()], bad);
  let dict: unknown;
  try {
    dict = unpickle(await read(byName.get(`${root}data.pkl`)!), `${file}:${root}data.pkl`);
  } catch (e) {
    if (!(e instanceof EdgeClipError) || e.code === code) throw e;
    throw new EdgeClipError(code, e.message, e.context as Record<string, unknown>, { cause: e });
  }
  // after data.pkl, which comes first in torch.save's archives: a stream reads forward
  const order = byName.get(`${root}byteorder`);
  checkByteOrder(order && await read(order), bad);
  type Span = (typeof spans)[number];
  const storages = { get: (n: string) => byName.get(n), size: (e: Span) => e.size, root };
  const out: TensorEntry[] = [];
  for (const { name, t, dtype, storage } of stateTensors(dict, storages, STORAGE_DTYPE, "", bad)) {
    const esize = DTYPE_BYTES[dtype], n = t.size.reduce((a: number, d: number) => a * d, 1);
    let s = 1;
    for (let i = t.size.length - 1; i >= 0; i--) {
      if (t.size[i] !== 1 && t.stride[i] !== s) {
        bad(
          `${name} is not contiguous in its storage; save the state dict with contiguous tensors`,
          {
            key: name,
          },
        );
      }
      s *= t.size[i];
    }
    if (t.offset + n > t.storage.numel) {
      bad(`${name} reads past the end of its storage`, { key: name });
    }
    const begin = storage.start + t.offset * esize;
    out.push({ name, dtype, shape: [...t.size], begin, end: begin + n * esize });
  }
  return out;
}
