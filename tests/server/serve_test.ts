// The handler behind a real Deno.serve on an ephemeral 127.0.0.1 port: errors over the wire,
// oversized uploads, remote images (served by a second local server), parallel requests.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { createHandler, type HandlerOptions } from "../../server.ts";
import { answer, dataUrl, goldenClip, goldenPngs, MODEL_DIR, slowClip } from "./_helpers.ts";

const net = Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state === "granted";
const ignore = !net || !MODEL_DIR || goldenPngs().length === 0;

/** Serves `handler` on 127.0.0.1:<ephemeral>; returns its base URL and a close function. */
function serve(handler: (r: Request) => Promise<Response> | Response) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const { port } = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${port}`, close: () => server.shutdown() };
}

async function withServer(
  opts: HandlerOptions,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const s = serve(createHandler(await goldenClip(), opts));
  try {
    await body(s.url);
  } finally {
    await s.close();
  }
}

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test({ name: "serve: errors over the wire, then a good answer", ignore }, async () => {
  await withServer({ maxBodyBytes: 64 * 1024 }, async (url) => {
    const png = dataUrl(goldenPngs()[0]);
    const bad: [Promise<Response>, number][] = [
      [fetch(`${url}/nowhere`), 404],
      [fetch(`${url}/v1/classify`), 405],
      [postJson(`${url}/v1/embeddings`, "{not json"), 400],
      [postJson(`${url}/v1/embeddings`, { input: [] }), 400],
      [postJson(`${url}/v1/classify`, { image: "AAAA", labels: ["a"] }), 422],
      [postJson(`${url}/v1/classify`, { image: png, labels: ["a"], adapters: "nope" }), 400],
      [fetch(`${url}/v1/embeddings`, { method: "POST", body: "x" }), 415],
    ];
    for (const [res, status] of bad) {
      const { status: s, body } = await answer(await res);
      strictEqual(s, status, JSON.stringify(body));
      ok(body.error.code && body.error.message);
    }
    const { status, body } = await answer(
      await postJson(`${url}/v1/classify`, {
        image: png,
        labels: ["cat", "dog"],
      }),
    );
    strictEqual(status, 200);
    strictEqual(body.results.length, 2);
    strictEqual((await fetch(`${url}/healthz`).then((r) => r.json())).status, "ok");
  });
});

Deno.test(
  { name: "serve: a body over the limit answers 413 and the server goes on", ignore },
  async () => {
    await withServer({ maxBodyBytes: 64 * 1024 }, async (url) => {
      // a streamed upload without content-length, far over the limit
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= 64 * 2 ** 20) return c.close();
          sent += 65536;
          c.enqueue(new Uint8Array(65536).fill(0x20));
        },
      });
      try {
        const res = await fetch(`${url}/v1/embeddings`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const { status, body: json } = await answer(res);
        strictEqual(status, 413);
        strictEqual(json.error.code, "input_too_large");
      } catch (e) {
        // the server may close the connection before the client finished sending: also a refusal
        ok(e instanceof TypeError, String(e));
      }
      ok(sent < 64 * 2 ** 20, `the whole ${sent} bytes were sent`);
      const ok200 = await postJson(`${url}/v1/embeddings`, { input: "still here" });
      strictEqual(ok200.status, 200);
      await ok200.body?.cancel();
    });
  },
);

Deno.test(
  { name: "serve: remote images only when allowed, with redirects checked", ignore },
  async () => {
    const [p0] = goldenPngs();
    const png = Deno.readFileSync(p0);
    const files = serve((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/cat.png") {
        return new Response(png, { headers: { "content-type": "image/png" } });
      }
      if (path === "/hop") return Response.redirect(new URL("/cat.png", req.url), 302);
      if (path === "/away") return Response.redirect("http://localhost:1/cat.png", 302);
      if (path === "/big") return new Response(new Uint8Array(png.length * 4));
      return new Response("no", { status: 404 });
    });
    const item = (u: string) => ({
      input: [{ type: "image_url", image_url: { url: files.url + u } }],
    });
    try {
      await withServer({}, async (url) => {
        const { status, body } = await answer(
          await postJson(`${url}/v1/embeddings`, item("/cat.png")),
        );
        strictEqual(status, 400);
        ok(/remote image URLs/.test(body.error.message));
      });
      const onlyHere = (u: URL) => u.hostname === "127.0.0.1";
      await withServer(
        { allowRemoteImages: onlyHere, maxImageBytes: png.length * 2 },
        async (url) => {
          const clip = await goldenClip();
          const [direct] = await clip.embedImage(png);
          for (const path of ["/cat.png", "/hop"]) {
            const { status, body } = await answer(
              await postJson(`${url}/v1/embeddings`, item(path)),
            );
            strictEqual(status, 200, JSON.stringify(body));
            deepStrictEqual(body.data[0].embedding, Array.from(direct));
          }
          const away = await answer(await postJson(`${url}/v1/embeddings`, item("/away")));
          strictEqual(away.status, 422);
          ok(/redirect/.test(away.body.error.message), away.body.error.message);
          const missing = await answer(await postJson(`${url}/v1/embeddings`, item("/gone")));
          strictEqual(missing.status, 422);
          strictEqual(missing.body.error.code, "source_unavailable");
          const big = await answer(await postJson(`${url}/v1/embeddings`, item("/big")));
          strictEqual(big.status, 413);
          const cls = await answer(
            await postJson(`${url}/v1/classify`, {
              image: `${files.url}/cat.png`,
              labels: ["a", "b"],
            }),
          );
          strictEqual(cls.status, 200);
        },
      );
    } finally {
      await files.close();
    }
  },
);

Deno.test(
  { name: "serve: parallel requests all answer, beyond the queue with 503", ignore },
  async () => {
    const clip = await goldenClip();
    // a model whose text calls take 200 ms, so requests pile up behind each other
    const watch = { running: 0, maxRunning: 0 };
    const s = serve(createHandler(slowClip(clip, 200, watch), { maxQueue: 3 }));
    try {
      const statuses = await Promise.all(
        Array.from(
          { length: 8 },
          (_, i) =>
            postJson(`${s.url}/v1/embeddings`, { input: `text ${i}` }).then(async (r) => {
              const { body } = await answer(r);
              if (r.status === 503) {
                strictEqual(body.error.code, "overloaded");
              }
              return r.status;
            }),
        ),
      );
      strictEqual(watch.maxRunning, 1);
      strictEqual(statuses.filter((x) => x === 200).length, 4, statuses.join());
      strictEqual(statuses.filter((x) => x === 503).length, 4, statuses.join());
      strictEqual(
        (await answer(await postJson(`${s.url}/v1/embeddings`, { input: "later" }))).status,
        200,
      );
    } finally {
      await s.close();
    }
  },
);

/** Opens a raw connection, sends `head` and part of a body, then hangs up. */
async function hangUp(url: string, send: string, readFirst = false): Promise<void> {
  const { port } = new URL(url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  await conn.write(new TextEncoder().encode(send));
  if (readFirst) await conn.read(new Uint8Array(64)); // the answer has started
  else await new Promise((r) => setTimeout(r, 20));
  conn.close();
}

Deno.test(
  { name: "serve: clients that hang up mid-body or mid-answer are no server fault", ignore },
  async () => {
    const faults: unknown[] = [];
    await withServer({ onError: (e) => faults.push(e) }, async (url) => {
      const json = JSON.stringify({ input: Array(32).fill("a photo of a cat") });
      const head = (extra: string) =>
        `POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${extra}\r\n`;
      for (let i = 0; i < 4; i++) {
        // declared length, body cut short
        await hangUp(url, head(`content-length: ${json.length}\r\n`) + json.slice(0, 40));
        // chunked, cut inside a chunk
        await hangUp(url, head("transfer-encoding: chunked\r\n") + `40\r\n${json.slice(0, 20)}`);
        // whole request, gone once the answer starts
        await hangUp(url, head(`content-length: ${json.length}\r\n`) + json, true);
      }
      const res = await postJson(`${url}/v1/embeddings`, { input: "still here" });
      strictEqual(res.status, 200);
      await res.body?.cancel();
    });
    deepStrictEqual(faults.map(String), []);
  },
);
