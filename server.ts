// edgeclip's HTTP handler: `Deno.serve(createHandler(clip, { maxBodyBytes, maxBatch }))`.

export { createHandler, type HandlerOptions, type ServedClip } from "./src/server/handler.ts";
export { nodeListener, type NodeRequest, type NodeResponse } from "./src/server/node_listener.ts";
