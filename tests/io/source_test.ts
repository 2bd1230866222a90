// Model sources: a folder, a file: URL and an http URL give the same model; missing files and
// HTTP errors are source_unavailable; Files and Blobs (as a browser holds them) load as bytes do.

import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { EdgeClipError, loadClip } from "../../mod.ts";
import { listCases, readTensors } from "../golden/clip_cases.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";

const base = listCases().cases.find((c) => c.json.adapters.length === 0);
const canServe = (await Deno.permissions.query({ name: "net", host: "127.0.0.1" })).state ===
  "granted";

Deno.test({
  name: "sources: folder, file: URL and http URL load the same model",
  ignore: !base || !canServe,
}, async () => {
  const dir = base!.modelDir;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const name = new URL(req.url).pathname.slice(1);
    try {
      return new Response(await Deno.readFile(`${dir}/${name}`));
    } catch {
      return new Response("no", { status: 404 });
    }
  });
  try {
    const inputs = readTensors(base!.inputsFile);
    const run = async (src: string) => {
      const clip = await loadClip(src);
      const out = await clip.forward({
        inputIds: inputs.input_ids,
        attentionMask: inputs.attention_mask,
        pixelValues: inputs.pixel_values,
      });
      ok((await clip.embedText("a cat")).length === 1, "tokenizer files come from the same source");
      clip.dispose();
      return out;
    };
    const ref = await run(dir);
    const viaFile = await run(`file://${dir}`);
    const viaHttp = await run(`http://127.0.0.1:${server.addr.port}/`);
    deepStrictEqual(viaFile.textEmbeds!.data, ref.textEmbeds!.data);
    deepStrictEqual(viaHttp.imageEmbeds!.data, ref.imageEmbeds!.data);
    await rejects(
      loadClip(`http://127.0.0.1:${server.addr.port}/missing/`),
      (e) => e instanceof EdgeClipError && e.code === "source_unavailable",
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "sources: Files, Blob values and one package Blob load what the folder and bytes load",
  ignore: !base,
}, async () => {
  const dir = base!.modelDir;
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
  const files = await Promise.all(
    names.map(async (n) => new File([await Deno.readFile(`${dir}/${n}`)], n)),
  );
  const embed = async (src: Parameters<typeof loadClip>[0]) => {
    const clip = await loadClip(src);
    const [t] = await clip.embedText("a photo of a cat");
    clip.dispose();
    return t;
  };
  const ref = await embed(dir);
  deepStrictEqual(await embed(files), ref);
  deepStrictEqual(await embed(Object.fromEntries(files.map((f) => [f.name, f as Blob]))), ref);
  // a package: as a File (its name kept), as a nameless Blob, and as bytes, the same model
  const { bytes } = await convertClipToBytes(dir);
  const pkg = await embed({ "p.safetensors": bytes });
  deepStrictEqual(await embed(new File([bytes as BlobPart], "p.safetensors")), pkg);
  deepStrictEqual(await embed(new Blob([bytes as BlobPart])), pkg);
  await rejects(
    loadClip(["config.json"] as unknown as File[]),
    (e) =>
      e instanceof EdgeClipError && e.code === "invalid_input" && /File objects/.test(e.message),
  );
  await rejects(
    loadClip(files.filter((f) => f.name === "config.json")),
    (e) => e instanceof EdgeClipError && e.code === "source_unavailable",
  );
});
