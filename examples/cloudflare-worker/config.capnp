# workerd configuration running worker.js locally (`deno run -A build.ts` first writes dist/):
#   EDGECLIP_MODEL=https://host/model/ workerd serve config.capnp [--socket-addr http=127.0.0.1:8787]
# The kernels are wasm modules named as worker.js imports them; fetches may reach local addresses
# (a model served from this machine), which workerd's default network refuses.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .edgeclip),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const edgeclip :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "edgeclip/kernels_relaxed.wasm", wasm = embed "dist/kernels_relaxed.wasm"),
    (name = "edgeclip/kernels_simd128.wasm", wasm = embed "dist/kernels_simd128.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "EDGECLIP_MODEL", fromEnvironment = "EDGECLIP_MODEL"),
    (name = "EDGECLIP_TOWERS", fromEnvironment = "EDGECLIP_TOWERS"),
  ],
  globalOutbound = "internet",
);
