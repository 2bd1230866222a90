// The layering of ARCHITECTURE.md as a test: which src/ folders may import which, kernels that
// import only kernels, and the file-size budget (tinygrad's line budget at file granularity).

import { ok } from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** Folder (first segment under src/, or a root file) → folders it may import. */
const ALLOWED: Record<string, readonly string[]> = {
  "errors.ts": [],
  "tensor.ts": [],
  wasm: ["errors.ts", "tensor.ts"],
  ref: ["wasm"], // references use the ABI's names and codes only
  io: ["errors.ts", "tensor.ts"],
  quant: ["errors.ts", "tensor.ts", "wasm", "io"],
  tokenizer: ["errors.ts", "tensor.ts"],
  image: ["errors.ts", "tensor.ts", "wasm", "io"],
  model: ["errors.ts", "tensor.ts", "wasm", "io", "quant"],
  adapters: ["errors.ts", "tensor.ts", "wasm", "io", "model"],
  // tokenizer: a package carries the tokenizer's merges resolved to ids (tokenizer/resolved.ts)
  convert: ["errors.ts", "tensor.ts", "wasm", "io", "quant", "model", "tokenizer"],
  api: [
    "errors.ts",
    "tensor.ts",
    "wasm",
    "io",
    "quant",
    "tokenizer",
    "image",
    "model",
    "adapters",
    "convert",
  ],
  server: ["errors.ts", "tensor.ts", "api"],
  cli: ["errors.ts", "tensor.ts", "api", "convert", "server", "io"],
};

/** Files that are data tables, not code: exempt from the line budget. */
const DATA_FILE = /(_table|_data)\.ts$|\/_generated\//;
const HARD_LIMIT = 600;

function* walk(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

function imports(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']/g)) {
    out.push(m[1]);
  }
  for (const m of src.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]);
  return out;
}

function area(rel: string): string {
  const parts = rel.split("/");
  return parts.length === 1 ? parts[0] : parts[0];
}

Deno.test("architecture: src/ folders import only the layers below them", () => {
  const problems: string[] = [];
  for (const file of walk(`${ROOT}src`)) {
    const rel = file.slice(`${ROOT}src/`.length);
    const from = area(rel);
    const allowed = ALLOWED[from];
    if (!allowed) {
      problems.push(`src/${rel}: folder ${from} has no entry in the layering table`);
      continue;
    }
    for (const spec of imports(Deno.readTextFileSync(file))) {
      if (!spec.startsWith(".")) {
        if (from !== "io" && from !== "image" && from !== "tokenizer" && from !== "cli") {
          problems.push(
            `src/${rel}: imports package ${spec} (only io/, image/, tokenizer/, cli/ may)`,
          );
        }
        continue;
      }
      const target = new URL(spec, `file://${file}`).pathname;
      if (!target.startsWith(`${ROOT}src/`)) {
        problems.push(`src/${rel}: imports ${spec} outside src/`);
        continue;
      }
      const to = area(target.slice(`${ROOT}src/`.length));
      if (to !== from && !allowed.includes(to)) {
        problems.push(`src/${rel}: ${from} → ${to} (${spec})`);
      }
    }
  }
  ok(problems.length === 0, problems.join("\n"));
});

Deno.test("architecture: the model never names an adapter method", () => {
  const problems: string[] = [];
  for (const file of walk(`${ROOT}src/model`)) {
    const src = Deno.readTextFileSync(file);
    for (
      const word of ["lora", "bottleneck", "prefix_tuning", "reft", "compacter", "ia3", "fusion"]
    ) {
      const code = src.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
      if (new RegExp(`\\b${word}\\b`, "i").test(code)) {
        problems.push(`${file.slice(ROOT.length)} mentions ${word} in code`);
      }
    }
  }
  ok(problems.length === 0, problems.join("\n"));
});

Deno.test("architecture: assembly/ imports only assembly/", () => {
  const problems: string[] = [];
  for (const file of walk(`${ROOT}assembly`)) {
    for (const spec of imports(Deno.readTextFileSync(file))) {
      const target = new URL(spec.endsWith(".ts") ? spec : `${spec}.ts`, `file://${file}`).pathname;
      if (!spec.startsWith(".") || !target.startsWith(`${ROOT}assembly/`)) {
        problems.push(`${file.slice(ROOT.length)} imports ${spec}`);
      }
    }
  }
  ok(problems.length === 0, problems.join("\n"));
});

Deno.test(`architecture: source files stay under ${HARD_LIMIT} lines`, () => {
  const problems: string[] = [];
  for (const dir of ["src", "assembly", "tests", "bench"]) {
    try {
      Deno.statSync(`${ROOT}${dir}`);
    } catch {
      continue;
    }
    for (const file of walk(`${ROOT}${dir}`)) {
      if (DATA_FILE.test(file)) continue;
      const lines = Deno.readTextFileSync(file).split("\n").length;
      if (lines > HARD_LIMIT) problems.push(`${file.slice(ROOT.length)}: ${lines} lines`);
    }
  }
  ok(problems.length === 0, problems.join("\n"));
});

Deno.test("architecture: the import scanner sees static, type-only, re-export and dynamic imports", () => {
  const src = `import { a } from "./x.ts";\nimport type { B } from "../y.ts";\n` +
    `export { c } from "./z.ts";\nconst m = await import("../w.ts");\nimport {\n  d,\n} from "./v.ts";`;
  ok(["./x.ts", "../y.ts", "./z.ts", "./v.ts", "../w.ts"].every((s) => imports(src).includes(s)));
  const model = imports(Deno.readTextFileSync(`${ROOT}src/model/weights.ts`));
  ok(model.includes("../io/safetensors.ts"), JSON.stringify(model));
});
