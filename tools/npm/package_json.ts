// package.json of the npm package: the library ("edgeclip"), the HTTP handler
// ("edgeclip/server") and the kernels as .wasm files for hosts that import precompiled modules.

/** The package.json of version `version`; `wasm` lists the kernel files' paths in the package. */
export function packageJson(version: string, files: { wasm: string[] }): Record<string, unknown> {
  const wasmExports = Object.fromEntries(
    files.wasm.map((path) => [`./${path.slice(path.lastIndexOf("/") + 1)}`, `./${path}`]),
  );
  return {
    name: "edgeclip",
    version,
    description: "CLIP with adapters on a CPU, at the edge: text and image embeddings and " +
      "zero-shot classification in 44 KB of WebAssembly SIMD, for Node, browsers, Deno and Workers",
    keywords: ["clip", "embeddings", "zero-shot", "webassembly", "simd", "adapters", "edge"],
    type: "module",
    main: "./mod.js",
    types: "./mod.d.ts",
    exports: {
      ".": { types: "./mod.d.ts", default: "./mod.js" },
      "./server": { types: "./server.d.ts", default: "./server.js" },
      ...wasmExports,
      "./package.json": "./package.json",
    },
    engines: { node: ">=20" },
  };
}
