// Node side of the handler test: `node node_serve.mjs MODEL` serves edgeclip's handler from
// Node's own http server on 127.0.0.1 and prints the address once listening.

import { createServer } from "node:http";
import { loadClip } from "edgeclip";
import { createHandler, nodeListener } from "edgeclip/server";

const clip = await loadClip(process.argv[2]);
const server = createServer(nodeListener(createHandler(clip)));
server.listen(0, "127.0.0.1", () => console.log(`127.0.0.1:${server.address().port}`));
