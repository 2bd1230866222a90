// Reading the folders the adapters library saves: adapter_config.json + adapter.safetensors or
// pytorch_adapter.bin (save_adapter), and adapter_fusion_config.json + its weights
// (save_adapter_fusion). Keys may carry the `clip.` prefix (CLIPAdapterModel) or not.

import { EdgeClipError } from "../errors.ts";
import type { FileSet } from "../io/source.ts";
import { layerPath } from "../model/names.ts";
import type { Kernels, OwnerLimit } from "../wasm/kernels.ts";
import {
  BN_MODULE,
  type BnLoc,
  buildAdapter,
  type LoadedAdapter,
  type LoadedFusion,
  type ModelShape,
  PerLayer,
} from "./adapter.ts";
import { type BnConfig, methodConfigs, parseAdapterConfig } from "./config.ts";
import { FusionLayer, parseFusionConfig } from "./methods/fusion.ts";
import { AdapterTensors, readWeightFile } from "./tensors.ts";

const ADAPTER_WEIGHTS = ["adapter.safetensors", "pytorch_adapter.bin"];
const FUSION_WEIGHTS = ["model_adapter_fusion.safetensors", "pytorch_model_adapter_fusion.bin"];
const MODEL_TYPES = new Set(["clip", "clip_text_model", "clip_vision_model"]);

/** The raw `scaling` values written as JSON integers: the library rejects those (§3.1). */
function integerScalingInJson(text: string): boolean {
  return /"scaling"\s*:\s*-?\d+\s*[,}\]]/.test(text);
}

/** A JSON object file, kept with its text (`__text`: some checks need the literal spelling). */
async function json(files: FileSet, name: string): Promise<Record<string, unknown>> {
  const text = await files.text(name);
  const fail = (what: string): never => {
    throw new EdgeClipError("adapter_format", `${files.label}/${name} is not ${what}`, {
      file: name,
    });
  };
  const v: unknown = (() => {
    try {
      return JSON.parse(text);
    } catch (e) {
      return fail(`valid JSON (${(e as Error).message})`);
    }
  })();
  if (!v || typeof v !== "object" || Array.isArray(v)) fail("a JSON object");
  return Object.assign(v as Record<string, unknown>, { __text: text });
}

/** The first weights file present, in the library's order of preference. */
async function weights(files: FileSet, names: readonly string[]): Promise<AdapterTensors> {
  for (const n of names) {
    if (await files.exists(n)) {
      const label = `${files.label}/${n}`;
      return new AdapterTensors(readWeightFile(await files.bytes(n), label), label);
    }
  }
  throw new EdgeClipError(
    "source_unavailable",
    `${files.label}: no weights file (${names.join(" or ")})`,
    {
      source: files.label,
      file: names[0],
    },
  );
}

/** The saved model type and hidden size, against this model (before any weight is read). */
function checkMeta(cfg: Record<string, unknown>, files: FileSet, model: ModelShape): void {
  const type = cfg.model_type;
  if (type !== undefined && type !== null && !MODEL_TYPES.has(type as string)) {
    throw new EdgeClipError(
      "adapter_mismatch",
      `${files.label}: the adapter was saved for model type ${JSON.stringify(type)}, not CLIP`,
      { key: "model_type", expected: "clip", found: type },
    );
  }
  // single-tower models record their hidden size (CLIPModel's config has none)
  const hs = cfg.hidden_size;
  if (typeof hs === "number") {
    const tower = type === "clip_vision_model"
      ? "vision"
      : type === "clip_text_model"
      ? "text"
      : undefined;
    const tw = model.towers.find((t) => t.tower === tower) ??
      (model.towers.length === 1 ? model.towers[0] : undefined);
    if (tw && tw.hidden !== hs) {
      throw new EdgeClipError(
        "adapter_mismatch",
        `${files.label}: the adapter was saved for hidden size ${hs}; this model's ${tw.tower} tower has ${tw.hidden}`,
        { key: "hidden_size", expected: tw.hidden, found: hs },
      );
    }
  }
}

/** What a load needs besides its files. */
export interface LoadOptions {
  /** The model the adapter attaches to. */
  readonly model: ModelShape;
  /** A cap on the linear memory the load may take (the adapter budget). */
  readonly limit?: OwnerLimit;
}

/** Loads an adapter folder. `name` overrides the saved name (the library's load_as). */
export async function loadAdapterFolder(
  k: Kernels,
  files: FileSet,
  opts: LoadOptions & { name?: string; overrides?: Readonly<Record<string, unknown>> },
): Promise<LoadedAdapter> {
  const model = opts.model;
  const meta = await json(files, "adapter_config.json");
  checkMeta(meta, files, model);
  const saved = meta.name;
  if (typeof saved !== "string" || !saved || saved.includes(".")) {
    throw new EdgeClipError(
      "adapter_format",
      `${files.label}: adapter_config.json needs a name without "."`,
      {
        key: "name",
      },
    );
  }
  const name = opts.name ?? saved;
  if (!name || name.includes(".")) {
    throw new EdgeClipError(
      "invalid_input",
      `adapter name ${JSON.stringify(name)} must be non-empty, without "."`,
    );
  }
  if (integerScalingInJson(meta.__text as string)) {
    throw new EdgeClipError(
      "adapter_format",
      `${files.label}: "scaling" is a JSON integer; the library rejects it ("Unknown scaling type"), write e.g. 4.0`,
      { key: "scaling" },
    );
  }
  const version = typeof meta.version === "string" ? meta.version : null;
  const config = parseAdapterConfig(meta.config, { version, overrides: opts.overrides });
  const t = await weights(files, ADAPTER_WEIGHTS);
  return buildAdapter(k, { name, saved, config, tensors: t, model, limit: opts.limit });
}

/** Loads a fusion folder for already-loaded adapters (in the fusion's order). */
export async function loadFusionFolder(
  k: Kernels,
  files: FileSet,
  opts: LoadOptions & { adapters: readonly LoadedAdapter[] },
): Promise<LoadedFusion> {
  const { model, adapters } = opts;
  const meta = await json(files, "adapter_fusion_config.json");
  checkMeta(meta, files, model);
  const saved = typeof meta.name === "string" ? meta.name : undefined;
  const listed = meta.adapter_names;
  if (Array.isArray(listed) && listed.length !== adapters.length) {
    throw new EdgeClipError(
      "adapter_mismatch",
      `${files.label}: the fusion was saved for ${listed.length} adapters (${
        listed.join(", ")
      }), got ${adapters.length}`,
      { key: "adapter_names", expected: listed, found: adapters.map((a) => a.name) },
    );
  }
  // the weight keys carry the name the fusion was saved under; it is registered under the names
  // of the adapters it is loaded for (what a Fuse block of them looks up)
  const keyName = saved ??
    (Array.isArray(listed) ? listed.join(",") : adapters.map((a) => a.name).join(","));
  const cfg = parseFusionConfig(meta.config ?? "dynamic");
  const t = await weights(files, FUSION_WEIGHTS);
  // a fusion layer sits where all fused adapters have a bottleneck (they must agree)
  const bns = adapters.map((a) => {
    const c = methodConfigs(a.config).filter((m): m is BnConfig => m.kind === "bottleneck");
    if (!c.length) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `fusion: ${a.name} is not a bottleneck adapter`,
      );
    }
    return c;
  });
  // everything the fusion takes is given back if it fails
  return k.owned((o) => {
    const layers = new PerLayer<Partial<Record<BnLoc, FusionLayer>>>(model, () => ({}));
    for (const loc of ["mh", "out"] as BnLoc[]) {
      const flags = bns.map((cs) => cs.some((c) => (loc === "mh" ? c.mhAdapter : c.outputAdapter)));
      if (flags.some((f) => f !== flags[0])) {
        throw new EdgeClipError(
          "adapter_unsupported",
          "fusion: the fused adapters disagree on their locations (the library raises)",
        );
      }
      if (!flags[0]) continue;
      for (const tw of model.towers) {
        for (let i = 0; i < tw.layers; i++) {
          const p = `${layerPath(tw.tower, i)}.${BN_MODULE[loc]}.adapter_fusion_layer.${keyName}.`;
          layers.at(tw.tower, i)![loc] = FusionLayer.load(o, cfg, t, p, tw.hidden);
        }
      }
    }
    t.finish();
    const name = adapters.map((a) => a.name).join(",");
    return { name, adapterNames: adapters.map((a) => a.name), cfg, layers, owner: o };
  }, opts.limit);
}
