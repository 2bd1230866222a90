// Compiles assembly/ into two WebAssembly modules (relaxed SIMD, and SIMD128 only), checks each
// against the ABI in src/wasm/abi.ts, and writes them to src/wasm/_generated/ twice: as base64 in
// a .ts module (so the library imports by URL with no build step and no file access) and as a
// .wasm file (for hosts that take precompiled modules, e.g. Cloudflare Workers' wasm imports).
//
//   deno task build            rebuild and write the generated files
//   deno task build --check    rebuild in memory; exit 1 if the committed files are stale

import asc from "assemblyscript/asc";
import { decode } from "@webassemblyjs/wasm-parser";
import { base64EncodePortable } from "./src/io/base64.ts";
import { KERNEL_ABI, RELAXED_KERNELS, SIMD_KERNELS, VARIANT_SECTION } from "./src/wasm/abi.ts";

const ROOT = new URL(".", import.meta.url);
const ENTRY = "assembly/index.ts";
const OUT_DIR = "src/wasm/_generated/";
export const VARIANTS = ["relaxed", "simd128"] as const;
export type Variant = typeof VARIANTS[number];

export interface Built {
  variant: Variant;
  binary: Uint8Array;
  text: string;
}

/** Runs the AssemblyScript compiler in memory. */
export async function compile(variant: Variant): Promise<Built> {
  const outputs: Record<string, Uint8Array | string> = {};
  const args = [
    ENTRY,
    "--outFile",
    "kernels.wasm",
    "--textFile",
    "kernels.wat",
    "-O3",
    "--runtime",
    "stub",
    "--noAssert",
    "--uncheckedBehavior",
    "always",
    "--importMemory",
    "--initialMemory",
    "1",
    "--use",
    "abort=",
    "--enable",
    "simd",
    ...(variant === "relaxed" ? ["--enable", "relaxed-simd"] : []),
  ];
  const { error, stderr } = await asc.main(args, {
    readFile: (name: string, base: string) => {
      try {
        return Deno.readTextFileSync(new URL(`${base ? base + "/" : ""}${name}`, ROOT));
      } catch {
        return null;
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      outputs[name] = contents;
    },
    listFiles: () => [],
  });
  if (error) throw new Error(`asc failed (${variant}):\n${stderr.toString()}`);
  const binary = outputs["kernels.wasm"];
  const text = outputs["kernels.wat"];
  if (!(binary instanceof Uint8Array) || typeof text !== "string") {
    throw new Error(`asc produced no output for ${variant}`);
  }
  return { variant, binary: withCustomSection(binary, VARIANT_SECTION, variant), text };
}

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return out;
}

/** The module with a custom section appended (it names the variant: setKernelModules checks it). */
function withCustomSection(binary: Uint8Array, name: string, value: string): Uint8Array {
  const enc = new TextEncoder();
  const payload = [...leb128(name.length), ...enc.encode(name), ...enc.encode(value)];
  return Uint8Array.from([...binary, 0x00, ...leb128(payload.length), ...payload]);
}

type Sig = [string[], string[]];

/** Exports with their signatures and the imports, read with @webassemblyjs/wasm-parser. */
function inspect(binary: Uint8Array): { exports: Map<string, Sig>; imports: string[] } {
  // The parser cannot decode SIMD bodies; the code section is skipped (checked via text below).
  // deno-lint-ignore no-explicit-any
  const ast: any = decode(binary, { ignoreCodeSection: true, ignoreDataSection: true });
  // deno-lint-ignore no-explicit-any
  const fields: any[] = ast.body[0].fields;
  const types: Sig[] = [];
  const funcSigs: Sig[] = [];
  const imports: string[] = [];
  // deno-lint-ignore no-explicit-any
  const sig = (s: any): Sig => [s.params.map((p: any) => p.valtype), [...s.results]];
  for (const f of fields) {
    if (f.type === "TypeInstruction") types.push(sig(f.functype));
    if (f.type === "ModuleImport") {
      imports.push(`${f.module}.${f.name}:${f.descr.type}`);
      if (f.descr.type === "FuncImportDescr") funcSigs.push(sig(f.descr.signature));
    }
    if (f.type === "Func") {
      funcSigs.push(
        f.signature.type === "Signature" ? sig(f.signature) : types[f.signature.value],
      );
    }
  }
  const exports = new Map<string, Sig>();
  for (const f of fields) {
    if (f.type === "ModuleExport" && f.descr.exportType === "Func") {
      exports.set(f.name, funcSigs[f.descr.id.value]);
    }
  }
  return { exports, imports };
}

/** The text of each exported function's body, from the compiler's WAT output. */
function exportBodies(text: string): Map<string, string> {
  const exportToFunc = new Map<string, string>();
  for (const m of text.matchAll(/\(export "([^"]+)" \(func (\$[^\s)]+)\)\)/g)) {
    exportToFunc.set(m[1], m[2]);
  }
  const bodies = new Map<string, string>();
  const chunks = text.split(/\n \(func /);
  for (const [name, fn] of exportToFunc) {
    const chunk = chunks.find((c) => c.startsWith(fn + " ") || c.startsWith(fn + "\n"));
    if (chunk) bodies.set(name, chunk);
  }
  return bodies;
}

/** Throws unless the module matches the ABI, imports only memory, and the hot kernels use SIMD. */
export function verify(b: Built): void {
  const { exports, imports } = inspect(b.binary);
  const problems: string[] = [];
  const wantImports = ["env.memory:Memory"];
  if (imports.join() !== wantImports.join()) {
    problems.push(`imports ${JSON.stringify(imports)}, want ${JSON.stringify(wantImports)}`);
  }
  for (const [name, [params, results]] of Object.entries(KERNEL_ABI)) {
    const got = exports.get(name);
    const want = `(${params.join(",")})->(${results.join(",")})`;
    if (!got) problems.push(`missing export ${name} ${want}`);
    else if (`(${got[0].join(",")})->(${got[1].join(",")})` !== want) {
      problems.push(`export ${name} is (${got[0].join(",")})->(${got[1].join(",")}), want ${want}`);
    }
  }
  for (const name of exports.keys()) {
    if (!(name in KERNEL_ABI)) problems.push(`export ${name} is not in KERNEL_ABI`);
  }
  const bodies = exportBodies(b.text);
  for (const name of SIMD_KERNELS) {
    const body = bodies.get(name) ?? "";
    if (!/\b(v128|[fi](32x4|64x2|16x8|8x16))\./.test(body)) {
      problems.push(`${name} contains no v128 instructions`);
    }
  }
  if (b.variant === "relaxed") {
    for (const name of RELAXED_KERNELS) {
      if (!/relaxed_/.test(bodies.get(name) ?? "")) {
        problems.push(`${name} contains no relaxed-SIMD instruction in the relaxed build`);
      }
    }
  } else if (/relaxed_/.test(b.text)) {
    problems.push("the simd128 build contains relaxed-SIMD instructions");
  }
  if (!WebAssembly.validate(b.binary as BufferSource) && b.variant === "simd128") {
    problems.push("the simd128 module does not validate on this host");
  }
  if (problems.length) throw new Error(`kernel module ${b.variant}:\n  ${problems.join("\n  ")}`);
}

/** The generated TypeScript module for one variant. */
export function render(b: Built): string {
  const b64 = base64EncodePortable(b.binary);
  const lines = [];
  for (let i = 0; i < b64.length; i += 96) lines.push(`  "${b64.slice(i, i + 96)}"`);
  return `// GENERATED by build.ts from assembly/ — do not edit. Variant: ${b.variant}, ${b.binary.length} bytes.\n` +
    `export const WASM_BASE64 =\n${lines.join(" +\n")};\n`;
}

export function outPath(variant: Variant, ext: "ts" | "wasm" = "ts"): URL {
  return new URL(`${OUT_DIR}kernels_${variant}.${ext}`, ROOT);
}

/** True when the file at `path` holds exactly `want`. */
async function same(path: URL, want: Uint8Array): Promise<boolean> {
  let current: Uint8Array;
  try {
    current = await Deno.readFile(path);
  } catch {
    return false; // missing counts as stale
  }
  return current.length === want.length && current.every((b, i) => b === want[i]);
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const stale: string[] = [];
  for (const variant of VARIANTS) {
    const built = await compile(variant);
    verify(built);
    const files: [URL, Uint8Array][] = [
      [outPath(variant), new TextEncoder().encode(render(built))],
      [outPath(variant, "wasm"), built.binary],
    ];
    for (const [path, bytes] of files) {
      if (check) {
        if (!(await same(path, bytes))) stale.push(path.pathname);
      } else {
        await Deno.mkdir(new URL(OUT_DIR, ROOT), { recursive: true });
        await Deno.writeFile(path, bytes);
      }
    }
    console.log(`${variant}: ${built.binary.length} bytes, ABI ok, SIMD ok`);
  }
  if (stale.length) {
    console.error(`stale generated kernels (run \`deno task build\`):\n  ${stale.join("\n  ")}`);
    Deno.exit(1);
  }
}
