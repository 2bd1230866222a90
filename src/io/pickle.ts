// A restricted unpickler for PyTorch state dicts (torch.save's data.pkl). It is a small stack
// machine over the data opcodes a state dict uses; it never imports or calls anything. The only
// "callables" are an allow-list of names whose effect is reproduced here as plain data
// (OrderedDict → Map, _rebuild_tensor_v2 → a tensor description). Any other opcode or global is an
// EdgeClipError("adapter_format").

import { EdgeClipError } from "../errors.ts";

/** A Python tuple (kept apart from lists so persistent ids and rebuild args can be checked). */
export class PTuple {
  constructor(readonly items: readonly PValue[]) {}
}
/** A reference to an allow-listed global (module.name). */
export class PGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A tensor storage named by persistent id ('storage', type, key, location, numel). */
export class PStorage {
  constructor(
    readonly storageType: string,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}
/** A tensor view of a storage: torch._utils._rebuild_tensor_v2's arguments. */
export class PTensor {
  constructor(
    readonly storage: PStorage,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export type PValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PValue[]
  | PTuple
  | Map<PValue, PValue>
  | PGlobal
  | PStorage
  | PTensor;

/** Globals a state dict may name. Storage classes only appear inside persistent ids. */
const STORAGE_TYPES = new Set([
  "FloatStorage",
  "DoubleStorage",
  "HalfStorage",
  "BFloat16Storage",
  "LongStorage",
  "IntStorage",
  "ShortStorage",
  "CharStorage",
  "ByteStorage",
  "BoolStorage",
]);
const CALLABLES = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
]);

const MARK = Symbol("mark");
type Slot = PValue | typeof MARK;

/** Hard limits: a state dict needs far less; they keep a hostile file from exhausting memory. */
const MAX_STACK = 1 << 16;
const MAX_MEMO = 1 << 20;

function fail(file: string, msg: string): never {
  throw new EdgeClipError("adapter_format", `${file}: pickle: ${msg}`, { file });
}

/** Unpickles `data`; `persistent` resolves BINPERSID ids (storages). */
export function unpickle(data: Uint8Array, file = "data.pkl"): PValue {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PValue>();
  let p = 0;
  const need = (k: number) => {
    if (p + k > data.length) fail(file, `truncated at byte ${p} (needs ${k} more)`);
  };
  const u8 = () => (need(1), data[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const bytes = (k: number) => (need(k), (p += k), data.subarray(p - k, p));
  const utf8 = (k: number) => {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes(k));
    } catch (e) {
      if (e instanceof EdgeClipError) throw e;
      return fail(file, `invalid UTF-8 string at byte ${p}`);
    }
  };
  const line = () => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) fail(file, "unterminated GLOBAL name");
    const s = new TextDecoder().decode(data.subarray(p, end));
    p = end + 1;
    return s;
  };
  const push = (v: PValue) => {
    if (stack.length >= MAX_STACK) fail(file, "stack too deep");
    stack.push(v);
  };
  const pop = (): PValue => {
    const v = stack.pop();
    if (v === undefined) fail(file, "stack underflow");
    if (v === MARK) fail(file, "unexpected MARK");
    return v;
  };
  const top = (): PValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail(file, "stack underflow");
    return v;
  };
  const popMark = (): PValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail(file, "no MARK on the stack");
    const items = stack.splice(i) as PValue[];
    items.shift();
    return items;
  };
  const put = (i: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(i)) fail(file, "memo too large");
    memo.set(i, top());
  };
  const get = (i: number) => {
    if (!memo.has(i)) fail(file, `memo entry ${i} is undefined`);
    push(memo.get(i)!);
  };
  const global = (module: string, name: string) => {
    const q = `${module}.${name}`;
    if (CALLABLES.has(q) || (module === "torch" && STORAGE_TYPES.has(name))) {
      push(new PGlobal(module, name));
    } else fail(file, `refuses to load global ${q} (only state-dict tensors are allowed)`);
  };
  const setItems = (d: PValue, items: PValue[]) => {
    if (!(d instanceof Map)) fail(file, "SETITEM(S) on a non-dict");
    if (items.length % 2) fail(file, "odd number of SETITEMS values");
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v < 2 || v > 5) fail(file, `unsupported protocol ${v}`);
        break;
      }
      case 0x95: // FRAME (protocol 4): a length hint only
        bytes(8);
        break;
      case 0x2e: { // STOP
        const v = pop();
        if (stack.length) fail(file, "values left on the stack at STOP");
        return v;
      }
      case 0x28: // MARK
        if (stack.length >= MAX_STACK) fail(file, "stack too deep");
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack.pop() === undefined) fail(file, "stack underflow");
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: { // LONG1: little-endian two's complement
        const b = bytes(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
          fail(file, "integer out of range");
        }
        push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        push(dv.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(u8()));
        break;
      case 0x42: // BINBYTES
        push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(bytes(u8()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(new PTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        push(new PTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        push(new PTuple([a, b, c]));
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const v = pop(), l = top();
        if (!Array.isArray(l)) fail(file, "APPEND to a non-list");
        l.push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark(), l = top();
        if (!Array.isArray(l)) fail(file, "APPENDS to a non-list");
        l.push(...items);
        break;
      }
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          fail(file, "STACK_GLOBAL needs two strings");
        }
        global(module, name);
        break;
      }
      case 0x51: // BINPERSID
        push(storage(pop(), file));
        break;
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        push(reduce(fn, args, file));
        break;
      }
      case 0x62: { // BUILD: state of an OrderedDict (its _metadata) or a tensor; dropped
        const state = pop(), obj = top();
        if (!(obj instanceof Map || obj instanceof PTensor)) {
          fail(file, "BUILD on an unknown object");
        }
        if (state !== null && !(state instanceof Map) && !(state instanceof PTuple)) {
          fail(file, "BUILD with an unexpected state");
        }
        break;
      }
      default:
        fail(
          file,
          `opcode 0x${op.toString(16).padStart(2, "0")} at byte ${
            p - 1
          } is not allowed in a state dict`,
        );
    }
  }
}

function storage(pid: PValue, file: string): PStorage {
  if (!(pid instanceof PTuple) || pid.items.length !== 5 || pid.items[0] !== "storage") {
    fail(file, "persistent id is not a ('storage', type, key, location, numel) tuple");
  }
  const [, type, key, location, numel] = pid.items;
  if (!(type instanceof PGlobal) || type.module !== "torch" || !STORAGE_TYPES.has(type.name)) {
    fail(file, "persistent id names no torch storage type");
  }
  if (typeof key !== "string" || typeof location !== "string") {
    fail(file, "persistent id key/location are not strings");
  }
  if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0) {
    fail(file, "persistent id has an invalid element count");
  }
  return new PStorage(type.name, key, location, numel);
}

function intList(v: PValue, what: string, file: string): number[] {
  if (!(v instanceof PTuple)) fail(file, `${what} is not a tuple`);
  return v.items.map((x) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) {
      fail(file, `${what} holds a non-integer or negative value`);
    }
    return x;
  });
}

function reduce(fn: PValue, args: PValue, file: string): PValue {
  if (!(fn instanceof PGlobal) || !CALLABLES.has(fn.qualified)) {
    fail(file, "REDUCE on something other than an allowed function");
  }
  if (!(args instanceof PTuple)) fail(file, `REDUCE of ${fn.qualified} without an argument tuple`);
  const a = args.items;
  switch (fn.qualified) {
    case "collections.OrderedDict":
      if (a.length !== 0) fail(file, "OrderedDict with arguments");
      return new Map();
    case "torch._utils._rebuild_tensor_v2": {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.length < 6 || a.length > 7) fail(file, "_rebuild_tensor_v2 with wrong arguments");
      const [st, off] = a;
      if (!(st instanceof PStorage)) fail(file, "_rebuild_tensor_v2 without a storage");
      if (typeof off !== "number" || !Number.isSafeInteger(off) || off < 0) {
        fail(file, "_rebuild_tensor_v2 with an invalid offset");
      }
      const size = intList(a[2], "tensor size", file),
        stride = intList(a[3], "tensor stride", file);
      if (size.length !== stride.length) fail(file, "tensor size and stride differ in rank");
      return new PTensor(st, off, size, stride);
    }
    case "torch._utils._rebuild_parameter": {
      // (data, requires_grad, backward_hooks): a Parameter is its tensor
      if (a.length !== 3 || !(a[0] instanceof PTensor)) {
        fail(file, "_rebuild_parameter with wrong arguments");
      }
      return a[0];
    }
  }
  return fail(file, `${fn.qualified} is not callable`);
}
