// Loading by Hub id from a mock Hub on 127.0.0.1 (tests/_util/mock_hub.ts): redirects to a CDN on
// another port, the token sent to the Hub only, 401/404 errors, the download cache (ETags, offline,
// an interrupted download, the int8 package kept at first load), the repo shapes real repos have
// (shards, F16, pytorch_model.bin alone) and adapter repos.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type Clip, Fuse, loadClip } from "../../mod.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { goldenPath } from "../_util/golden.ts";
import { repoVariants } from "../_util/hub_repos.ts";
import { type MockHub, type MockRepo, startMockHub } from "../_util/mock_hub.ts";

const model = goldenPath("clip/model");
const lora = goldenPath("clip/cases/lora/adapters/lora");
const ignore = model === null || lora === null;
const TMP = decodeURIComponent(new URL("../../tmp/", import.meta.url).pathname);

const TEXTS = ["a photo of a cat", "two dogs"];
const IMAGE = {
  data: Uint8Array.from({ length: 24 * 20 * 4 }, (_, i) => (i * 37) % 251),
  width: 24,
  height: 20,
};

async function embeddings(clip: Clip): Promise<Float32Array[]> {
  return [...(await clip.embedText(TEXTS)), ...(await clip.embedImage([IMAGE]))];
}

const code = (c: string, re?: RegExp) => (e: unknown) => {
  ok(e instanceof EdgeClipError && e.code === c, `want ${c}, got ${e}`);
  ok(!re || re.test((e as Error).message), `${(e as Error).message} !~ ${re}`);
  return true;
};

/** A mock Hub serving `repos` and a fresh cache folder, both gone when `fn` ends. */
async function withHub(
  repos: Record<string, MockRepo>,
  fn: (hub: MockHub, cacheDir: string) => Promise<void>,
): Promise<void> {
  await Deno.mkdir(TMP, { recursive: true });
  const cacheDir = await Deno.makeTempDir({ dir: TMP, prefix: "hub-cache-" });
  const hub = await startMockHub({ repos });
  try {
    await fn(hub, cacheDir);
  } finally {
    await hub.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
}

/** Names of the finished files in a cache folder (no partial downloads). */
function cacheFiles(root: string, sub = "", out: string[] = []): string[] {
  for (const e of Deno.readDirSync(root + sub)) {
    if (e.isDirectory) cacheFiles(root, `${sub}/${e.name}`, out);
    else out.push(`${sub}/${e.name}`);
  }
  return out;
}

Deno.test(
  { name: "hub: a repo loads by id through the CDN redirect, equal to its folder", ignore },
  async () => {
    const want = await embeddings(await loadClip(model!));
    await withHub({ "org/clip": { dir: model!, token: "hf_secret" } }, async (hub, cacheDir) => {
      const opts = { hubEndpoint: hub.url, cacheDir };
      // gated: without a token, 401 with the file, the URL and what to do
      await rejects(
        loadClip("org/clip", opts),
        code(
          "source_denied",
          /\/org\/clip\/resolve\/main\/\S+ answered HTTP 401.*gated or private: pass a token/,
        ),
      );
      const denied = hub.log.length;
      const progress: { file: string; loaded: number; total?: number }[] = [];
      const clip = await loadClip("org/clip", {
        ...opts,
        token: "hf_secret",
        onProgress: (p) => progress.push(p),
      });
      deepStrictEqual(await embeddings(clip), want);
      // the token went to the Hub only, never to the CDN the weights were redirected to
      const log = hub.log.slice(denied);
      const cdn = log.filter((l) => l.server === "cdn");
      ok(cdn.length > 0 && cdn.every((l) => l.authorization === null), JSON.stringify(cdn));
      ok(
        log.filter((l) => l.server === "hub").every((l) => l.authorization === "Bearer hf_secret"),
      );
      // downloads and tensor loads both report; each file's last report is complete
      const size = (await Deno.stat(`${model}/model.safetensors`)).size;
      const last = progress.filter((p) => p.file === "model.safetensors").at(-1)!;
      ok(progress.filter((p) => p.file === "model.safetensors").length >= 2);
      deepStrictEqual(last.loaded, last.total);
      ok(progress.some((p) => p.total === size && p.loaded === size), "the download reported");
    });
  },
);

Deno.test(
  { name: "hub: missing repos, revisions and files are named with URL and status", ignore },
  async () => {
    const root = await Deno.makeTempDir({ dir: (await Deno.mkdir(TMP, { recursive: true }), TMP) });
    try {
      const v = repoVariants(root, model!, ["noWeights"]);
      await withHub({ "org/bare": { dir: v.noWeights } }, async (hub, cacheDir) => {
        const opts = { hubEndpoint: hub.url, cacheDir };
        await rejects(
          loadClip("org/nothing", opts),
          code("source_unavailable", /404: no such repo/),
        );
        await rejects(
          loadClip("org/bare", { ...opts, revision: "v9" }),
          code("source_unavailable", /\/resolve\/v9\/.*404: no such revision/),
        );
        await rejects(
          loadClip("org/bare", opts),
          code("source_unavailable", /no model weights \(looked for model\.safetensors/),
        );
        await rejects(
          loadClip("org/bare", { ...opts, cachedir: "x" } as never),
          code("invalid_input", /unknown option "cachedir"/),
        );
        hub.failWith = 503;
        await rejects(
          loadClip("org/bare", opts),
          code("source_network", /\/org\/bare\/resolve\/main\/\S+ answered HTTP 503/),
        );
      });
      // nothing listens here: a network failure, not a missing file
      await rejects(
        loadClip("org/bare", { hubEndpoint: "http://127.0.0.1:9", cacheDir: `${root}/c` }),
        code("source_network", /127\.0\.0\.1:9\/org\/bare\/resolve\/main\/\S+: network failure/),
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

Deno.test(
  { name: "hub: the cache serves unchanged files by ETag, and offline alone", ignore },
  async () => {
    const want = await embeddings(await loadClip(model!));
    let cacheDir = "";
    await withHub({ "org/clip": { dir: model! } }, async (hub, dir) => {
      cacheDir = dir;
      const opts = { hubEndpoint: hub.url, cacheDir };
      // offline with an empty cache: says so, asks nothing
      await rejects(
        loadClip("org/clip", { ...opts, offline: true }),
        code("source_unavailable", /not in the download cache.*offline/),
      );
      strictEqual(hub.log.length, 0);
      deepStrictEqual(await embeddings(await loadClip("org/clip", opts)), want);
      const gets = () => hub.log.filter((l) => l.method === "GET").length;
      const first = gets();
      ok(hub.log.some((l) => l.server === "cdn" && l.method === "GET"));
      // online again: HEADs only, every file answered by the cache
      deepStrictEqual(await embeddings(await loadClip("org/clip", opts)), want);
      strictEqual(gets(), first);
      // offline with the server still up: no request at all
      const before = hub.log.length;
      deepStrictEqual(
        await embeddings(await loadClip("org/clip", { ...opts, offline: true })),
        want,
      );
      strictEqual(hub.log.length, before);
      // keep the cache past the server: copy it
      await Deno.mkdir(`${TMP}/hub-kept`, { recursive: true });
      for (const f of cacheFiles(dir)) {
        await Deno.mkdir(`${TMP}/hub-kept${f.slice(0, f.lastIndexOf("/"))}`, { recursive: true });
        await Deno.copyFile(`${dir}${f}`, `${TMP}/hub-kept${f}`);
      }
    });
    try {
      // the server gone: offline loads from the cache
      const clip = await loadClip("org/clip", {
        hubEndpoint: "http://127.0.0.1:9",
        cacheDir: `${TMP}/hub-kept`,
        offline: true,
      });
      deepStrictEqual(await embeddings(clip), want);
      ok(cacheDir !== "");
    } finally {
      await Deno.remove(`${TMP}/hub-kept`, { recursive: true });
    }
  },
);

Deno.test(
  { name: "hub: an interrupted download leaves nothing a later load trusts", ignore },
  async () => {
    const want = await embeddings(await loadClip(model!));
    await withHub({ "org/clip": { dir: model! } }, async (hub, cacheDir) => {
      const opts = { hubEndpoint: hub.url, cacheDir };
      hub.cutAfter = 3 << 20;
      await rejects(loadClip("org/clip", opts), code("source_network", /model\.safetensors/));
      const files = cacheFiles(cacheDir);
      ok(!files.some((f) => /partial/.test(f)), files.join());
      ok(!files.some((f) => /blobs\/[0-9a-f]{64}$/.test(f)), `no weights blob: ${files.join()}`);
      await rejects(
        loadClip("org/clip", { ...opts, offline: true }),
        code("source_unavailable", /offline: the download cache only.*no model weights/),
      );
      hub.cutAfter = undefined;
      deepStrictEqual(await embeddings(await loadClip("org/clip", opts)), want);
    });
  },
);

Deno.test({
  name: "hub: an int8 load keeps its package in the cache; the next one loads it offline",
  ignore,
}, async () => {
  const local = await embeddings(await loadClip(model!, { dtype: "int8" }));
  await withHub({ "org/clip": { dir: model! } }, async (hub, cacheDir) => {
    const opts = { hubEndpoint: hub.url, cacheDir, dtype: "int8" as const };
    deepStrictEqual(await embeddings(await loadClip("org/clip", opts)), local);
    const pkg = cacheFiles(cacheDir).filter((f) => /edgeclip-int8-[0-9a-f]+\.safetensors$/.test(f));
    strictEqual(pkg.length, 1, cacheFiles(cacheDir).join());
    // the f32 weights leave the cache: the package alone serves the next load
    for (const f of cacheFiles(cacheDir)) {
      if (/blobs\/[0-9a-f]{64}$/.test(f)) await Deno.remove(`${cacheDir}${f}`);
    }
    await hub.close();
    const again = await loadClip("org/clip", { ...opts, offline: true });
    strictEqual(again.dtype, "int8");
    deepStrictEqual(await embeddings(again), local);
  });
});

Deno.test({
  name: "hub: sharded, F16 and pytorch_model.bin-only repos load as their folders",
  ignore,
}, async () => {
  await Deno.mkdir(TMP, { recursive: true });
  const root = await Deno.makeTempDir({ dir: TMP });
  try {
    const v = repoVariants(root, model!, ["sharded", "f16", "bin"]);
    const want = await embeddings(await loadClip(model!));
    const wantHalf = await embeddings(await loadClip(v.f16));
    await withHub({
      "org/sharded": { dir: v.sharded },
      "org/half": { dir: v.f16 },
      "org/bin": { dir: v.bin },
    }, async (hub, cacheDir) => {
      const opts = { hubEndpoint: hub.url, cacheDir };
      deepStrictEqual(await embeddings(await loadClip("org/sharded", opts)), want);
      deepStrictEqual(await embeddings(await loadClip("org/bin", opts)), want);
      deepStrictEqual(await embeddings(await loadClip("org/half", opts)), wantHalf);
      // the same folders on disk, and int8 from the .bin equal to int8 from the safetensors
      deepStrictEqual(await embeddings(await loadClip(v.bin)), want);
      deepStrictEqual(
        await embeddings(await loadClip("org/bin", { ...opts, dtype: "int8" })),
        await embeddings(await loadClip(model!, { dtype: "int8" })),
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "hub: an adapter repo loads by id (and from a subfolder), equal to its folder",
  ignore,
}, async () => {
  const local = await loadClip(model!);
  await local.loadAdapter(lora!);
  local.setActiveAdapters("lora");
  const want = await embeddings(local);
  const parent = lora!.slice(0, lora!.lastIndexOf("/"));
  await withHub({
    "org/clip": { dir: model! },
    "org/lora": { dir: lora! },
    "org/adapters": { dir: parent },
  }, async (hub, cacheDir) => {
    const opts = { hubEndpoint: hub.url, cacheDir };
    for (
      const [id, extra] of [["org/lora", {}], ["org/adapters", { subfolder: "lora" }]] as const
    ) {
      const clip = await loadClip("org/clip", opts);
      strictEqual(await clip.loadAdapter(id, { ...opts, ...extra }), "lora");
      clip.setActiveAdapters("lora");
      deepStrictEqual(await embeddings(clip), want);
    }
    const clip = await loadClip("org/clip", opts);
    await rejects(
      clip.loadAdapter("org/adapters", { ...opts, subfolder: "none" }),
      code("source_unavailable", /adapter_config\.json/),
    );
    await rejects(
      clip.loadAdapter("org/lora", { nme: "x" } as never),
      code("invalid_input", /"nme"/),
    );
  });
});

const fuse = goldenPath("clip/cases/fuse_dynamic");

Deno.test({
  name: "hub: adapters and their fusion load from subfolders of one repo",
  ignore: ignore || fuse === null,
}, async () => {
  const names = ["fuse_a", "fuse_b", "fuse_c"];
  const setup = async (
    clip: Clip,
    load: (dir: string) => Promise<string>,
    fusion: () => Promise<string>,
  ) => {
    for (const n of names) strictEqual(await load(`adapters/${n}`), n);
    await fusion();
    clip.setActiveAdapters(Fuse(...names));
    return await embeddings(clip);
  };
  const local = await loadClip(model!);
  const want = await setup(
    local,
    (d) => local.loadAdapter(`${fuse}/${d}`),
    () => local.loadFusion(`${fuse}/fusion`, names),
  );
  await withHub(
    { "org/clip": { dir: model! }, "org/fuse": { dir: fuse! } },
    async (hub, cacheDir) => {
      const opts = { hubEndpoint: hub.url, cacheDir };
      const clip = await loadClip("org/clip", opts);
      const got = await setup(
        clip,
        (d) => clip.loadAdapter("org/fuse", { ...opts, subfolder: d }),
        () => clip.loadFusion("org/fuse", names, { ...opts, subfolder: "fusion" }),
      );
      deepStrictEqual(got, want);
    },
  );
});
