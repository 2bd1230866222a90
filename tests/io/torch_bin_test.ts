// PyTorch .bin reading: the golden .bin files equal their safetensors twins; hand-built archives
// check strides/offsets, and hostile or damaged files (foreign globals, unknown opcodes,
// truncation, byte flips, compressed entries) fail with adapter_format, never run anything.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { readTorchBin } from "../../src/io/torch_bin.ts";
import { unpickle } from "../../src/io/pickle.ts";
import { readZip } from "../../src/io/zip.ts";
import { parseSafetensors, toF32 } from "../../src/io/safetensors.ts";
import { listCases } from "../golden/clip_cases.ts";
import { Prng } from "../_util/prng.ts";
import {
  BINPERSID,
  buildZip,
  EMPTY_TUPLE,
  FALSE,
  MARK,
  pk,
  REDUCE,
  SETITEM,
  TUPLE,
} from "../_util/torch_build.ts";

const enc = new TextEncoder();

/** {name: tensor(storage "0", offset, size, stride)} over a FloatStorage of `numel`. */
function statePickle(
  name: string,
  numel: number,
  offset: number,
  size: number[],
  stride: number[],
): Uint8Array {
  const tuple = (
    xs: number[],
  ) => [MARK, ...xs.flatMap((x) => [0x4a, x & 255, (x >> 8) & 255, 0, 0]), TUPLE];
  return pk(
    { g: "collections OrderedDict" },
    [EMPTY_TUPLE, REDUCE],
    name,
    { g: "torch._utils _rebuild_tensor_v2" },
    [MARK, MARK],
    "storage",
    { g: "torch FloatStorage" },
    "0",
    "cpu",
    numel,
    [TUPLE, BINPERSID],
    offset,
    tuple(size),
    tuple(stride),
    [FALSE],
    { g: "collections OrderedDict" },
    [EMPTY_TUPLE, REDUCE, TUPLE, REDUCE, SETITEM],
  );
}

function archive(pkl: Uint8Array, storage: Float32Array): Uint8Array {
  return buildZip([
    ["a/data.pkl", pkl],
    ["a/data/0", new Uint8Array(storage.buffer)],
    ["a/version", enc.encode("3\n")],
  ]);
}

const isFormat = (e: unknown) => e instanceof EdgeClipError && e.code === "adapter_format";

// ---- tests ---------------------------------------------------------------------------------------

Deno.test("torch .bin: every golden adapter .bin equals its safetensors twin", () => {
  const { cases } = listCases();
  let n = 0;
  for (const c of cases) {
    for (const e of [...walk(c.dir)].filter((p) => p.endsWith(".bin"))) {
      const st = e.replace("pytorch_adapter.bin", "adapter.safetensors").replace(
        "pytorch_model_adapter_fusion.bin",
        "model_adapter_fusion.safetensors",
      );
      const bin = readTorchBin(Deno.readFileSync(e), e);
      const bytes = Deno.readFileSync(st);
      const h = parseSafetensors(bytes, st);
      strictEqual(bin.size, h.entries.size);
      for (const t of h.entries.values()) {
        const want = new Float32Array(t.shape.reduce((a, d) => a * d, 1));
        toF32(bytes.subarray(t.begin, t.end), t.dtype, want, t.name);
        deepStrictEqual(bin.get(t.name)?.shape, [...t.shape]);
        deepStrictEqual(bin.get(t.name)!.data, want);
        n++;
      }
    }
  }
  ok(cases.length === 0 || n > 0);
});

function* walk(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) yield* walk(`${dir}/${e.name}`);
    else yield `${dir}/${e.name}`;
  }
}

Deno.test("torch .bin: storage offsets and strides (transposed, sliced, broadcast)", () => {
  const rng = new Prng(7);
  const st = Float32Array.from({ length: 30 }, () => rng.normal());
  // a transposed [3 × 4] view of a [4 × 3] block starting at element 5
  let m = readTorchBin(archive(statePickle("w", 30, 5, [3, 4], [1, 3]), st));
  const want = new Float32Array(12);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want[i * 4 + j] = st[5 + i + 3 * j];
  deepStrictEqual(m.get("w")!.data, want);
  // contiguous slice
  m = readTorchBin(archive(statePickle("b", 30, 2, [2, 5], [5, 1]), st));
  deepStrictEqual(m.get("b")!.data, st.slice(2, 12));
  // stride 0 (expanded)
  m = readTorchBin(archive(statePickle("e", 30, 1, [3], [0]), st));
  deepStrictEqual(m.get("e")!.data, Float32Array.from([st[1], st[1], st[1]]));
  // a view past the storage's end
  throws(() => readTorchBin(archive(statePickle("x", 30, 20, [4, 4], [4, 1]), st)), isFormat);
});

Deno.test("pickle: foreign globals, unknown opcodes and bad REDUCE targets are refused", () => {
  // os.system("...") the classic way: GLOBAL + args + REDUCE
  throws(() => unpickle(pk({ g: "os system" }, [MARK], "echo hi", [TUPLE, REDUCE])), (e) => {
    ok(isFormat(e) && /os\.system/.test((e as Error).message));
    return true;
  });
  throws(() => unpickle(pk({ g: "builtins eval" })), isFormat);
  throws(() => unpickle(pk({ g: "torch._utils _rebuild_tensor" })), isFormat); // not the allow-listed v2
  // REDUCE on a storage class (allowed as a name, never callable)
  throws(() => unpickle(pk({ g: "torch FloatStorage" }, [EMPTY_TUPLE, REDUCE])), isFormat);
  // INST / OBJ / NEWOBJ / EXT1 opcodes
  for (const op of [0x69, 0x6f, 0x81, 0x82]) throws(() => unpickle(pk([op])), isFormat);
  // truncated mid-string, empty, missing STOP
  throws(() => unpickle(new Uint8Array([0x80, 2, 0x58, 10, 0, 0, 0, 0x61])), isFormat);
  throws(() => unpickle(new Uint8Array(0)), isFormat);
  throws(() => unpickle(new Uint8Array([0x80, 2, 0x7d])), isFormat);
  // undefined memo entry
  throws(() => unpickle(pk([0x68, 9])), isFormat);
  // an allowed, harmless dict round-trips
  const d = unpickle(pk([0x7d], "a", 7, [SETITEM])) as Map<unknown, unknown>;
  strictEqual(d.get("a"), 7);
});

Deno.test("torch .bin: a file whose pickle calls a foreign global fails before any tensor is read", () => {
  const evil = pk({ g: "subprocess Popen" }, [MARK], "rm -rf /", [TUPLE, REDUCE]);
  throws(() => readTorchBin(buildZip([["a/data.pkl", evil]])), isFormat);
});

Deno.test("zip: truncation, byte flips, compressed entries and non-zip input fail cleanly", () => {
  const rng = new Prng(11);
  const st = Float32Array.from({ length: 12 }, () => rng.normal());
  const good = archive(statePickle("w", 12, 0, [3, 4], [4, 1]), st);
  strictEqual(readTorchBin(good).get("w")!.data.length, 12);
  for (let cut = 0; cut < good.length; cut += 7) {
    throws(() => readTorchBin(good.subarray(0, cut)), isFormat);
  }
  for (let i = 0; i < 200; i++) {
    const bad = good.slice();
    const at = rng.int(0, bad.length - 1);
    bad[at] ^= 1 << rng.int(0, 7);
    try {
      readTorchBin(bad);
    } catch (e) {
      ok(isFormat(e), `flip at ${at}: ${e}`);
    }
  }
  throws(() => readZip(buildZip([["a/data.pkl", new Uint8Array(3)]], { method: 8 })), isFormat);
  throws(() => readTorchBin(new Uint8Array([1, 2, 3])), isFormat);
  throws(() => readTorchBin(new Uint8Array([0x80, 2, 0x7d, 0x2e])), isFormat); // legacy format
});
