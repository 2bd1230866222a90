// The adapters attached to one loaded model: loading, the active setup, merging, and the
// per-call hooks handed to the model. (Adapter methods themselves live in src/adapters/.)

import { EdgeClipError } from "../errors.ts";
import { resolveSource, type Source } from "../io/source.ts";
import { type ModelHooks, NO_HOOKS, type Tower } from "../model/hooks.ts";
import type { EncoderLayer } from "../model/encoder_layer.ts";
import { linearPath } from "../model/names.ts";
import { at, type ModelShape, type TowerShape } from "../adapters/adapter.ts";
import { AdapterSet, type CallInfo } from "../adapters/attach.ts";
import type { Block, Setup } from "../adapters/composition.ts";
import { loadAdapterFolder, loadFusionFolder } from "../adapters/loading.ts";
import type { LoadedModel } from "../checkpoint/open.ts";

/** An adapter name, or composition blocks nested as the adapters library allows. */
export type AdapterSetup = Setup;
export type { CallInfo };

export class AdapterHost {
  readonly #m: LoadedModel;
  readonly #set: AdapterSet;
  #active: Block | null = null;

  constructor(loaded: LoadedModel) {
    this.#m = loaded;
    this.#set = new AdapterSet(loaded.kernels);
  }

  /** Names of the loaded adapters. */
  get names(): string[] {
    return [...this.#set.adapters.keys()];
  }

  #layers(tower: Tower): EncoderLayer[] {
    const m = this.#m.model;
    return (tower === "text" ? m.text?.layers : m.vision?.layers) ?? [];
  }

  #shape(): ModelShape {
    const m = this.#m.model;
    const towers: TowerShape[] = [];
    let id = 0;
    for (const [tower, cfg] of [["text", m.text?.cfg], ["vision", m.vision?.cfg]] as const) {
      if (!cfg) continue;
      towers.push({
        tower,
        hidden: cfg.hiddenSize,
        intermediate: cfg.intermediateSize,
        heads: cfg.numHeads,
        layers: cfg.numLayers,
        firstId: id,
      });
      id += cfg.numLayers;
    }
    return {
      towers,
      baseWeight: (tower, i, site) => this.#layers(tower)[i].linearAt(site).readWeight(),
    };
  }

  async load(
    source: Source,
    opts: { name?: string; overrides?: Record<string, unknown> } = {},
  ): Promise<string> {
    const { files } = await resolveSource(source);
    if (opts.name !== undefined && this.#set.adapters.has(opts.name)) {
      throw new EdgeClipError(
        "adapter_setup",
        `an adapter named ${JSON.stringify(opts.name)} is already loaded`,
      );
    }
    const a = await loadAdapterFolder(this.#m.kernels, files, this.#shape(), opts);
    if (this.#set.adapters.has(a.name)) {
      a.owner.free(); // nothing else holds it
      throw new EdgeClipError(
        "adapter_setup",
        `an adapter named ${JSON.stringify(a.name)} is already loaded`,
      );
    }
    this.#set.adapters.set(a.name, a);
    return a.name;
  }

  async loadFusion(source: Source, names: readonly string[]): Promise<string> {
    const adapters = names.map((n) => {
      const a = this.#set.adapters.get(n);
      if (!a) {
        throw new EdgeClipError(
          "adapter_setup",
          `fusion: no adapter named ${JSON.stringify(n)} is loaded`,
        );
      }
      return a;
    });
    const { files } = await resolveSource(source);
    const f = await loadFusionFolder(this.#m.kernels, files, this.#shape(), adapters);
    this.#set.fusions.get(f.name)?.owner.free(); // replaced: no setup can reach it any more
    this.#set.fusions.set(f.name, f);
    return f.name;
  }

  setActive(setup: AdapterSetup | null): void {
    this.#active = setup === null ? null : this.#set.resolve(setup);
  }

  /**
   * Folds a LoRA / IA3 / DoRA / VeRA adapter into the base weights through the Linear
   * interface (readWeight → merged → writeWeight). A merged linear skips every LoRA path
   * afterwards, as the library's merged layers do. On a model quantized at load, the merge
   * starts from the checkpoint's f32 weight and quantizes the merged result (merge before
   * quantization); on an int8 package only the dequantized weight exists.
   */
  async merge(name: string): Promise<void> {
    const a = this.#set.adapters.get(name);
    if (!a) {
      throw new EdgeClipError(
        "adapter_setup",
        `no adapter named ${JSON.stringify(name)} is loaded`,
      );
    }
    if (!a.hasLora) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `${name} has no LoRA-family weights; only LoRA/IA3 can be merged`,
      );
    }
    for (const [key, mod] of a.lora) {
      const other = this.#set.merged.get(key);
      if (other && other !== name) {
        throw new EdgeClipError(
          "adapter_setup",
          `${key} already has ${other} merged; only one adapter can be merged per layer`,
        );
      }
      if (mod.cfg.useGating) {
        throw new EdgeClipError(
          "adapter_unsupported",
          `cannot merge ${name}: LoRA layers with gating cannot be merged`,
        );
      }
    }
    // int8 layers quantized at load merge into the checkpoint's f32 weights (one open file)
    const source = this.#m.dtype === "int8" ? await this.#m.openSource?.() : undefined;
    try {
      for (const [key, mod] of a.lora) {
        if (this.#set.merged.get(key) === name) continue;
        const [tower, i, site] = key.split("/") as [Tower, string, "q"];
        const lin = this.#layers(tower)[Number(i)].linearAt(site);
        const w = lin.dtype === "int8" && source
          ? await source.weight(`${linearPath({ tower, layer: Number(i), linear: site })}.weight`)
          : lin.readWeight();
        lin.writeWeight(mod.merged(w));
        this.#set.merged.set(at(tower, Number(i), site), name);
      }
    } finally {
      source?.close();
    }
  }

  /** Hooks for one call: `setup` overrides the active setup when given (null = none). */
  hooksFor(setup: AdapterSetup | null | undefined, call: CallInfo): (tower: Tower) => ModelHooks {
    const s = setup === undefined ? this.#active : setup === null ? null : this.#set.resolve(setup);
    if (s === null) return () => NO_HOOKS;
    return this.#set.hooks(s, call);
  }
}
