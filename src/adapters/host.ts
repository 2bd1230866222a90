// The adapters of one loaded model, owned in one place: adapter and fusion folders loaded within an
// optional memory budget, deleted again, the active setup, which adapters the calls in flight use,
// merging LoRA into the base weights, and the hooks each call hands the model.

import { EdgeClipError } from "../errors.ts";
import { resolveSource, type Source, type SourceOptions } from "../io/source.ts";
import type { ClipModel } from "../model/clip_model.ts";
import { type LinearSite, type ModelHooks, NO_HOOKS, type Tower } from "../model/hooks.ts";
import type { Linear } from "../model/linear.ts";
import type { OwnerLimit } from "../wasm/kernels.ts";
import {
  type LoadedAdapter,
  type LoadedFusion,
  type ModelShape,
  PerLayer,
  type SitePlace,
  type TowerShape,
} from "./adapter.ts";
import { callHooks, type CallInfo } from "./call_hooks.ts";
import { type Block, parseSetup, type Setup } from "./composition.ts";
import { type Use, usesOf, whyInUse } from "./uses.ts";

export type { CallInfo };

/** A checkpoint's f32 weights, re-read (merge before quantization). */
export interface SourceWeights {
  /** The f32 weight [out × in] of a wrapped linear, as the checkpoint holds it. */
  weight(place: SitePlace): Promise<Float32Array>;
  close(): void;
}

export interface AdapterHostOptions {
  /** Bytes of linear memory all loaded adapters and fusions may hold together (default: no cap). */
  readonly maxBytes?: number;
  /**
   * For a model quantized at load: opens the checkpoint so that a merge starts from a linear's f32
   * weight and quantizes the result. Absent, a merge starts from the linear's current weight.
   */
  readonly openSourceWeights?: () => Promise<SourceWeights>;
}

export class AdapterHost {
  #model: ClipModel | null;
  readonly #shape: ModelShape;
  readonly #opts: AdapterHostOptions;
  readonly #adapters = new Map<string, LoadedAdapter>();
  readonly #fusions = new Map<string, LoadedFusion>();
  /** Per layer: the adapter merged into each wrapped linear. */
  readonly #merged: PerLayer<Partial<Record<LinearSite, string>>>;
  /** What calls in flight and pending operations use (delete refuses those). */
  readonly #uses = new Set<Use>();
  #active: Block | null = null;

  constructor(model: ClipModel, opts: AdapterHostOptions = {}) {
    this.#model = model;
    this.#opts = opts;
    this.#shape = shapeOf(model, (p) => this.#linear(p).readWeight());
    this.#merged = new PerLayer(this.#shape, () => ({}));
  }

  /** Names of the loaded adapters, in load order. */
  get names(): string[] {
    return [...this.#adapters.keys()];
  }

  /** Names of the loaded fusions (their adapters joined by ","). */
  get fusionNames(): string[] {
    return [...this.#fusions.keys()];
  }

  /** Linear memory held by the loaded adapters and fusions (bytes). */
  get bytes(): number {
    let n = 0;
    for (const a of this.#adapters.values()) n += a.owner.bytes;
    for (const f of this.#fusions.values()) n += f.owner.bytes;
    return n;
  }

  /** The setup calls run when they pass none. */
  get active(): Block | null {
    return this.#active;
  }

  // ---- loading and deleting ------------------------------------------------------------------

  async load(
    source: Source,
    opts: { name?: string; overrides?: Record<string, unknown> } & SourceOptions = {},
  ): Promise<string> {
    const model = this.#live();
    const { files } = await resolveSource(source, opts);
    if (opts.name !== undefined) this.#fresh(opts.name);
    // the file formats and method builders load with the first adapter (not every Clip needs them)
    const { loadAdapterFolder } = await import("./loading.ts");
    const a = await loadAdapterFolder(model.k, files, {
      name: opts.name,
      overrides: opts.overrides,
      model: this.#shape,
      limit: this.#limit(`loading ${opts.name ?? files.label}`),
    });
    if (this.#model === null || this.#adapters.has(a.name)) {
      a.owner.free(); // nothing else holds it
      this.#live(); // disposed meanwhile
      this.#fresh(a.name);
    }
    this.#adapters.set(a.name, a);
    return a.name;
  }

  async loadFusion(
    source: Source,
    names: readonly string[],
    opts: SourceOptions = {},
  ): Promise<string> {
    const model = this.#live();
    const adapters = names.map((n) => this.#adapter(n, "fusion: "));
    this.#freshFusion(names);
    const { files } = await resolveSource(source, opts);
    const { loadFusionFolder } = await import("./loading.ts");
    const f = await loadFusionFolder(model.k, files, {
      model: this.#shape,
      adapters,
      limit: this.#limit(`loading the fusion of ${names.join(", ")}`),
    });
    // what changed meanwhile (only possible for a caller that does not queue its loads)
    try {
      this.#live();
      if (adapters.some((a) => this.#adapters.get(a.name) !== a)) {
        throw new EdgeClipError(
          "adapter_setup",
          `fusion ${f.name}: an adapter was deleted meanwhile`,
        );
      }
      this.#freshFusion(names);
    } catch (e) {
      f.owner.free();
      throw e;
    }
    this.#fusions.set(f.name, f);
    return f.name;
  }

  /**
   * Deletes an adapter and gives its memory back for reuse. Refused while the active setup, a
   * loaded fusion, a call in flight or a pending operation uses it, and once it is merged.
   */
  delete(name: string): void {
    const a = this.#adapter(name);
    const why = this.#isMerged(name)
      ? "it is merged into the base weights, and a merged LoRA cannot be un-merged (load the " +
        "model again to drop it)"
      : whyInUse(name, "adapter", {
        active: this.#active,
        fusions: this.#fusions.values(),
        uses: this.#uses,
      });
    if (why) {
      throw new EdgeClipError("adapter_in_use", `cannot delete adapter ${name}: ${why}`, { name });
    }
    this.#adapters.delete(name);
    a.owner.free();
  }

  /** Deletes the fusion of `names` (as loadFusion got them); refused while a setup uses it. */
  deleteFusion(names: readonly string[]): void {
    const name = names.join(",");
    const f = this.#fusions.get(name);
    if (!f) {
      throw new EdgeClipError("adapter_setup", `no fusion of ${JSON.stringify(names)} is loaded`, {
        name,
      });
    }
    const why = whyInUse(name, "fusion", { active: this.#active, fusions: [], uses: this.#uses });
    if (why) {
      throw new EdgeClipError("adapter_in_use", `cannot delete fusion ${name}: ${why}`, { name });
    }
    this.#fusions.delete(name);
    f.owner.free();
  }

  // ---- setups and calls ----------------------------------------------------------------------

  /** Checks a setup against the loaded adapters; returns it normalised (a name → Stack(name)). */
  resolve(setup: Setup): Block {
    const b = parseSetup(setup);
    for (const n of b.flatten()) this.#adapter(n);
    return b;
  }

  setActive(setup: Setup | null): void {
    this.#active = setup === null ? null : this.resolve(setup);
  }

  /**
   * Marks what `setup` names as in use by `what` ("a call still running") until the returned
   * function is called: delete refuses those adapters and fusions meanwhile. Any value is
   * accepted (a setup not checked yet, or not valid at all).
   */
  use(setup: unknown, what: string): () => void {
    const u = usesOf(setup, what);
    this.#uses.add(u);
    return () => this.#uses.delete(u);
  }

  /** The hooks of one call running `setup` (resolved; null = no adapters). */
  hooksFor(setup: Block | null, call: CallInfo): ModelHooks {
    const model = this.#live();
    if (setup === null) return NO_HOOKS;
    for (const n of setup.flatten()) this.#adapter(n);
    return callHooks(
      {
        kernels: model.k,
        adapter: (n) => this.#adapters.get(n),
        fusion: (n) => this.#fusions.get(n),
        isMerged: (tower, i, site) => this.#merged.at(tower, i)?.[site] !== undefined,
      },
      setup,
      call,
    );
  }

  // ---- merging -------------------------------------------------------------------------------

  /**
   * Folds a LoRA / IA3 / DoRA / VeRA adapter into the base weights through the Linear interface
   * (readWeight → merged → writeWeight). A merged linear skips every LoRA path afterwards, as the
   * library's merged layers do. The caller makes sure no call runs meanwhile.
   */
  async merge(name: string): Promise<void> {
    this.#live();
    const a = this.#adapter(name);
    if (!a.hasLora) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `${name} has no LoRA-family weights; only LoRA/IA3 can be merged`,
      );
    }
    for (const [p, mod] of a.loras()) {
      const other = this.#merged.at(p.tower, p.layer)![p.linear];
      if (other && other !== name) {
        throw new EdgeClipError(
          "adapter_setup",
          `${p.tower} layer ${p.layer} ${p.linear} already has ${other} merged; only one adapter ` +
            "can be merged per layer",
        );
      }
      if (mod.cfg.useGating) {
        throw new EdgeClipError(
          "adapter_unsupported",
          `cannot merge ${name}: LoRA layers with gating cannot be merged`,
        );
      }
    }
    // int8/int4 layers quantized at load merge into the checkpoint's f32 weights (one open
    // file); a package has only its dequantized weights
    const source = await this.#opts.openSourceWeights?.();
    try {
      for (const [p, mod] of a.loras()) {
        const merged = this.#merged.at(p.tower, p.layer)!;
        if (merged[p.linear] === name) continue;
        const lin = this.#linear(p);
        const w = lin.dtype !== "f32" && source ? await source.weight(p) : lin.readWeight();
        lin.writeWeight(mod.merged(w));
        merged[p.linear] = name;
      }
    } finally {
      source?.close();
    }
  }

  /**
   * The towers where `name` acts at run time: those holding a module of it other than a merged
   * LoRA (bottleneck, prefix, ReFT, an unmerged LoRA; the invertible adapter is text).
   */
  actingTowers(name: string): Tower[] {
    this.#live();
    const a = this.#adapter(name);
    const towers = new Set<Tower>(a.invertible ? ["text"] : []);
    for (const [tower, layer, m] of a.layers.entries()) {
      const merged = this.#merged.at(tower, layer)!;
      const loras = Object.keys(m.lora) as LinearSite[];
      if (
        Object.keys(m.bottleneck).length || m.prefix || m.reft ||
        loras.some((site) => merged[site] !== name)
      ) towers.add(tower);
    }
    return [...towers];
  }

  /**
   * Drops every adapter, fusion and the model: nothing here keeps the kernels reachable. Memory
   * in use by calls still running stays valid (they hold their own references).
   */
  dispose(): void {
    this.#model = null;
    this.#adapters.clear();
    this.#fusions.clear();
    this.#active = null;
  }

  // ---- internals -----------------------------------------------------------------------------

  #live(): ClipModel {
    if (!this.#model) throw new EdgeClipError("disposed", "this model's adapters were disposed");
    return this.#model;
  }

  #adapter(name: string, prefix = ""): LoadedAdapter {
    const a = this.#adapters.get(name);
    if (!a) {
      throw new EdgeClipError(
        "adapter_setup",
        `${prefix}no adapter named ${JSON.stringify(name)} is loaded`,
        { name },
      );
    }
    return a;
  }

  #isMerged(name: string): boolean {
    for (const [, , sites] of this.#merged.entries()) {
      if (Object.values(sites).includes(name)) return true;
    }
    return false;
  }

  #fresh(name: string): void {
    if (this.#adapters.has(name)) {
      throw new EdgeClipError(
        "adapter_setup",
        `an adapter named ${JSON.stringify(name)} is already loaded`,
      );
    }
  }

  /** A loaded fusion is not replaced: calls in flight may still run it (deleteFusion first). */
  #freshFusion(names: readonly string[]): void {
    if (this.#fusions.has(names.join(","))) {
      throw new EdgeClipError(
        "adapter_setup",
        `a fusion of ${JSON.stringify(names)} is already loaded (deleteFusion it first)`,
      );
    }
  }

  /** The budget left for one more load, as a cap on its owner. */
  #limit(what: string): OwnerLimit | undefined {
    const max = this.#opts.maxBytes;
    if (max === undefined) return undefined;
    const held = this.bytes;
    return {
      bytes: max - held,
      error: (wanted) =>
        new EdgeClipError(
          "input_too_large",
          `${what} would take more than the ${max - held} bytes left of maxAdapterBytes ` +
            `(${max}; ${held} held by loaded adapters and fusions): delete an adapter or raise it`,
          { budget: max, held, wanted },
        ),
    };
  }

  #linear(p: SitePlace): Linear {
    const m = this.#live();
    const layers = (p.tower === "text" ? m.text?.layers : m.vision?.layers) ?? [];
    return layers[p.layer].linearAt(p.linear);
  }
}

/** What the adapter loaders see of the model: its towers, and the f32 weight of a linear. */
function shapeOf(model: ClipModel, weight: (p: SitePlace) => Float32Array): ModelShape {
  const towers: TowerShape[] = [];
  let firstId = 0; // global layer ids: text first, then vision
  for (const [tower, cfg] of [["text", model.text?.cfg], ["vision", model.vision?.cfg]] as const) {
    if (!cfg) continue;
    towers.push({
      tower,
      hidden: cfg.hiddenSize,
      intermediate: cfg.intermediateSize,
      heads: cfg.numHeads,
      layers: cfg.numLayers,
      firstId,
    });
    firstId += cfg.numLayers;
  }
  return {
    towers,
    baseWeight: (tower: Tower, layer: number, linear: LinearSite) =>
      weight({ tower, layer, linear }),
  };
}
