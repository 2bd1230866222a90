// Bundles worker.js with the installed edgeclip package into dist/worker.js (`deno bundle`, as
// wrangler bundles with esbuild) and copies the kernels' .wasm files beside it for config.capnp.
//   npm install edgeclip && deno run -A build.ts [ENTRY.js, default worker.js]

const here = decodeURIComponent(new URL(".", import.meta.url).pathname);
const entry = Deno.args[0] ?? "worker.js";
const out = await new Deno.Command(Deno.execPath(), {
  args: [
    "bundle",
    "--quiet",
    "--platform=browser",
    "--format=esm",
    "--minify",
    "--external=*.wasm",
    `--output=dist/${entry}`,
    entry,
  ],
  cwd: here,
}).output();
if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
const pkg = import.meta.resolve("edgeclip/kernels_relaxed.wasm");
for (const variant of ["relaxed", "simd128"]) {
  await Deno.copyFile(
    new URL(`kernels_${variant}.wasm`, pkg),
    `${here}dist/kernels_${variant}.wasm`,
  );
}
