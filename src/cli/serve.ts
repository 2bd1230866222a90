// `serve`: the HTTP handler on Deno.serve, until SIGINT/SIGTERM.

import { createHandler, type ServedClip } from "../server/handler.ts";
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

/** Runs `serve`; resolves with the exit code once the server has shut down. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("serve", args, {
    ...MODEL_OPTIONS,
    port: { type: "string" },
    host: { type: "string" },
    name: { type: "string" },
    "max-body-bytes": { type: "string" },
    "max-batch": { type: "string" },
    "max-queue": { type: "string" },
    "allow-remote-images": { type: "boolean" },
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, "serve");
  }
  const port = intFlag("serve", "port", values.port, 8000, true);
  if (port > 65535) throw new UsageError("--port must be at most 65535", "serve");
  const opened = await openModel("serve", values);
  const handler = createHandler(
    served(opened),
    {
      modelName: values.name ?? modelName(opened.source),
      maxBodyBytes: intFlag("serve", "max-body-bytes", values["max-body-bytes"], 16 * 2 ** 20),
      maxBatch: intFlag("serve", "max-batch", values["max-batch"], 64),
      maxQueue: intFlag("serve", "max-queue", values["max-queue"], 16, true),
      allowRemoteImages: values["allow-remote-images"] ?? false,
    },
  );
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
