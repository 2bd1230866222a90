// `serve`: the HTTP handler on Deno.serve, until SIGINT/SIGTERM.

import {
  type CorsOption,
  createHandler,
  type HandlerOptions,
  type ServedClip,
} from "../server/handler.ts";
import { CorsPolicy } from "../server/cors.ts";
import { intFlag, parse, UsageError } from "./args.ts";
import { MODEL_OPTIONS, modelName, type OpenedModel, openModel } from "./model.ts";
import { printError, printText } from "./output.ts";

/** The model as the handler sees it, with the dtype and adapters the command line loaded. */
function served({ clip, dtype, adapters }: OpenedModel): ServedClip {
  return {
    config: clip.config,
    tokenize: clip.tokenize.bind(clip),
    embedText: clip.embedText.bind(clip),
    embedImage: clip.embedImage.bind(clip),
    classify: clip.classify.bind(clip),
    dtype,
    adapterNames: adapters,
  };
}

/** `--cors *` or `--cors https://a.example,https://b.example`. */
function corsFlag(v: string | undefined): CorsOption | undefined {
  if (v === undefined) return undefined;
  const list = v === "*" ? "*" : v.split(",").map((o) => o.trim()).filter((o) => o !== "");
  try {
    new CorsPolicy(list);
  } catch (e) {
    throw new UsageError(`--cors: ${(e as Error).message}`, "serve");
  }
  return list;
}

/** Runs `serve`; resolves with the exit code once the server has shut down. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("serve", args, {
    ...MODEL_OPTIONS,
    port: { type: "string" },
    host: { type: "string" },
    name: { type: "string" },
    cors: { type: "string" },
    "max-body-bytes": { type: "string" },
    "max-batch": { type: "string" },
    "max-labels": { type: "string" },
    "max-prompts": { type: "string" },
    "max-text-chars": { type: "string" },
    "max-image-bytes": { type: "string" },
    "max-pixels": { type: "string" },
    "max-queue": { type: "string" },
    "allow-remote-images": { type: "boolean" },
    "remote-timeout-ms": { type: "string" },
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, "serve");
  }
  const port = intFlag("serve", "port", values.port, 8000, true);
  if (port > 65535) throw new UsageError("--port must be at most 65535", "serve");
  if (values.name !== undefined && values.name.trim() === "") {
    throw new UsageError("--name must not be empty", "serve");
  }
  // every limit is checked before the model loads; unset ones keep createHandler's defaults
  const limit = (flag: string, allowZero = false) => {
    const v = (values as Record<string, string | undefined>)[flag];
    return v === undefined ? undefined : intFlag("serve", flag, v, 0, allowZero);
  };
  const options: HandlerOptions = {
    maxBodyBytes: limit("max-body-bytes"),
    maxBatch: limit("max-batch"),
    maxLabels: limit("max-labels"),
    maxPrompts: limit("max-prompts"),
    maxTextChars: limit("max-text-chars"),
    maxImageBytes: limit("max-image-bytes"),
    maxPixels: limit("max-pixels"),
    maxQueue: limit("max-queue", true),
    remoteTimeoutMs: limit("remote-timeout-ms"),
    allowRemoteImages: values["allow-remote-images"] ?? false,
    cors: corsFlag(values.cors),
  };
  const opened = await openModel("serve", values);
  const handler = createHandler(served(opened), {
    ...options,
    modelName: values.name ?? modelName(opened.source, opened.clip.config.name),
  });
  const hostname = values.host ?? "127.0.0.1";
  const server = Deno.serve({
    hostname,
    port,
    onListen: (addr) => {
      const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
      printText(`edgeclip: serving ${opened.source} on http://${host}:${addr.port}/`);
    },
  }, handler);
  const stop = () => {
    printError("edgeclip: shutting down");
    server.shutdown();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  await server.finished;
  for (const s of signals) Deno.removeSignalListener(s, stop);
  return 0;
}
