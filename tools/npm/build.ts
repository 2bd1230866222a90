// `deno task build:npm`: writes npm/, the package for Node, browsers and Workers — ESM JavaScript
// and .d.ts emitted by the pinned TypeScript compiler from the same .ts sources Deno imports
// (relative `.ts` imports rewritten to `.js`), the kernels' .wasm files, package.json (no
// runtime dependencies) and the README. `npm pack npm/` then makes the installable tarball.
//
//   deno task build:npm [--out DIR]

import ts from "typescript";
import { packageJson } from "./package_json.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
/** The package's entry points (its `exports`), relative to the repository root. */
const ENTRIES = ["mod.ts", "server.ts"];
const WASM = ["kernels_relaxed.wasm", "kernels_simd128.wasm"];
const GENERATED = "src/wasm/_generated/";

/**
 * What the emitted JavaScript may use: ES2022 syntax and the ES2023 library, which Node 20 and
 * every current browser and Workers runtime have (a newer built-in fails the type check here).
 */
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
  types: [],
  strict: true,
  noImplicitOverride: true,
  declaration: true,
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  skipLibCheck: true,
  newLine: ts.NewLineKind.LineFeed,
};

/** A relative `.ts` module specifier after `from` or inside `import(…)`. */
const TS_SPECIFIER = /(\bfrom\s+|\bimport\(\s*)(["'])(\.{1,2}\/[^"']+)\.ts\2/g;

/** Compiles the entry points and everything they import into `out`; throws on any diagnostic. */
export function emit(out: string): string[] {
  const written: string[] = [];
  const program = ts.createProgram({
    // deno_globals.d.ts: the few Deno APIs the Deno host uses, for the type check only
    rootNames: [...ENTRIES.map((e) => ROOT + e), `${ROOT}tools/npm/deno_globals.d.ts`],
    options: { ...OPTIONS, rootDir: ROOT, outDir: out },
  });
  const result = program.emit(undefined, (file, text) => {
    Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    // declarations keep the sources' `.ts` specifiers; a package's must name the .js files
    if (file.endsWith(".d.ts")) text = text.replace(TS_SPECIFIER, "$1$2$3.js$2");
    Deno.writeTextFileSync(file, text);
    written.push(file.slice(out.length + 1));
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => "\n",
    };
    throw new Error(ts.formatDiagnostics(diagnostics, host));
  }
  return written;
}

/** Builds the whole package into `out` (emptied first). */
export async function buildNpm(out: string): Promise<void> {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(out, { recursive: true });
  const written = emit(out);
  if (written.some((f) => f.startsWith("src/cli/"))) {
    throw new Error("the package would include src/cli/ (Deno only): an entry point imports it");
  }
  for (const w of WASM) await Deno.copyFile(`${ROOT}${GENERATED}${w}`, `${out}/${GENERATED}${w}`);
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const pkg = packageJson(deno.version, { wasm: WASM.map((w) => GENERATED + w) });
  await Deno.writeTextFile(`${out}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  await Deno.copyFile(`${ROOT}README.md`, `${out}/README.md`);
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--out");
  const out = i >= 0 ? Deno.args[i + 1] : `${ROOT}npm`;
  if (!out) throw new Error("--out needs a folder");
  const abs = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
  const t0 = performance.now();
  await buildNpm(abs.replace(/\/$/, ""));
  console.log(`wrote ${abs} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
