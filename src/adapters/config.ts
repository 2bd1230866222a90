// adapter_config.json → frozen, typed adapter configs. Follows the library's resolution
// (configuration/adapter_config.py): a preset name or a dict; the class is chosen by
// `architecture` (null → bottleneck); missing optional fields take the class defaults. Unlike the
// library, unknown fields and wrongly typed values are errors: a runtime cannot guess what an
// unknown switch would have changed.

import {
  bad,
  bool,
  checkFields,
  type Dict,
  intList,
  isDict,
  num,
  optNum,
  optStr,
  str,
  unsupported,
} from "./config_fields.ts";
import {
  BN_DEFAULTS,
  BN_REQUIRED,
  LORA_DEFAULTS,
  MTL_LORA_FIELDS,
  PREFIX_DEFAULTS,
  PRESETS,
  PROMPT_FIELDS,
  REFT_DEFAULTS,
} from "./presets.ts";

export interface BnConfig {
  readonly kind: "bottleneck";
  readonly mhAdapter: boolean;
  readonly outputAdapter: boolean;
  /** A number, or a mapping of global layer id (string) or "default" → number. */
  readonly reductionFactor: number | Readonly<Record<string, number>>;
  readonly nonLinearity: string;
  readonly originalLnBefore: boolean;
  readonly originalLnAfter: boolean;
  readonly residualBeforeLn: boolean;
  readonly adapterResidualBeforeLn: boolean;
  readonly lnBefore: boolean;
  readonly lnAfter: boolean;
  readonly isParallel: boolean;
  readonly scaling: number | "learned" | "channel";
  readonly useGating: boolean;
  readonly invAdapter: "nice" | null;
  readonly invAdapterReductionFactor: number | null;
  readonly leaveOut: readonly number[];
  readonly phmLayer: boolean;
  readonly phmDim: number;
  readonly factorizedPhmW: boolean;
  readonly sharedWPhm: boolean;
  readonly sharedPhmRule: boolean;
  readonly factorizedPhmRule: boolean;
  readonly phmRank: number;
  readonly phmBias: boolean;
}

export interface LoraConfig {
  readonly kind: "lora";
  readonly selfattnLora: boolean;
  readonly intermediateLora: boolean;
  readonly outputLora: boolean;
  readonly leaveOut: readonly number[];
  readonly r: number;
  readonly alpha: number;
  readonly attnMatrices: readonly string[];
  readonly compositionMode: "add" | "scale";
  readonly useGating: boolean;
  readonly useDora: boolean;
  readonly veraD: number | null;
  readonly veraB: number | null;
}

export interface PrefixConfig {
  readonly kind: "prefix_tuning";
  readonly leaveOut: readonly number[];
  readonly flat: boolean;
  readonly prefixLength: number;
  readonly bottleneckSize: number;
  readonly nonLinearity: string;
  readonly useGating: boolean;
  readonly sharedGating: boolean;
}

export interface ReftConfig {
  readonly kind: "reft";
  readonly layers: "all" | readonly number[];
  readonly leaveOut: readonly number[];
  readonly prefixPositions: number;
  readonly suffixPositions: number;
  readonly r: number;
  readonly orthogonality: boolean;
  readonly tiedWeights: boolean;
  readonly subtractProjection: boolean;
  readonly nonLinearity: string | null;
  readonly outputReft: boolean;
}

export type MethodConfig = BnConfig | LoraConfig | PrefixConfig | ReftConfig;

export interface UnionConfig {
  readonly kind: "union";
  readonly configs: readonly MethodConfig[];
}

export type AdapterConfig = MethodConfig | UnionConfig;

/** Options of config resolution. */
export interface ConfigOptions {
  /** `version` of adapter_config.json ("adapters.1.2.0"); absent for very old adapters. */
  version?: string | null;
  /** Fields merged over the file's config (every sub-config of a union that has the field). */
  overrides?: Readonly<Record<string, unknown>>;
  /** Global layer ids to leave out in addition to the saved ones (load_adapter(leave_out=…)). */
  leaveOut?: readonly number[];
}

// ---- per class -----------------------------------------------------------------------------------

function bottleneck(raw: Dict, o: ConfigOptions): BnConfig {
  const d: Dict = { ...BN_DEFAULTS, ...raw };
  // legacy nested form {"invertible_adapter": {"block_type", "reduction_factor"}}
  if (isDict(raw.invertible_adapter)) {
    d.inv_adapter = raw.invertible_adapter.block_type ?? null;
    d.inv_adapter_reduction_factor = raw.invertible_adapter.reduction_factor ?? null;
  }
  delete d.invertible_adapter;
  checkFields(d, [...Object.keys(BN_DEFAULTS), ...BN_REQUIRED, "architecture"], "bottleneck");
  for (const k of BN_REQUIRED) {
    if (d[k] === undefined) bad(`bottleneck config lacks ${k}`, { key: k });
  }
  let act = str(d, "non_linearity");
  if (!o.version) act = act === "gelu" ? "gelu_new" : act === "gelu_orig" ? "gelu" : act; // pre-versioned files
  const rf = d.reduction_factor;
  let reductionFactor: BnConfig["reductionFactor"];
  if (isDict(rf)) {
    for (const [k, v] of Object.entries(rf)) {
      if (typeof v !== "number" || !(v > 0)) {
        bad(`reduction_factor[${k}] must be a positive number`);
      }
    }
    reductionFactor = Object.freeze({ ...(rf as Record<string, number>) });
  } else reductionFactor = num(d, "reduction_factor", { min: Number.MIN_VALUE });
  const sc = d.scaling;
  if (!(typeof sc === "number" || sc === "learned" || sc === "channel")) {
    bad(`Unknown scaling type: ${JSON.stringify(sc)}`, { key: "scaling" });
  }
  const rbl = d.residual_before_ln;
  if (rbl === "post_add") {
    unsupported(
      'residual_before_ln "post_add" crashes the library on CLIP (no layer norm is passed)',
    );
  }
  const inv = optStr(d, "inv_adapter");
  if (inv === "glow") {
    unsupported(
      'invertible adapter "glow" cannot run on CLIP: the library\'s GLOW coupling slices along the ' +
        'sequence axis and fails for real inputs (only "nice" is supported)',
    );
  }
  if (inv !== null && inv !== "nice") bad(`unknown inv_adapter ${JSON.stringify(inv)}`);
  return Object.freeze({
    kind: "bottleneck",
    mhAdapter: bool(d, "mh_adapter"),
    outputAdapter: bool(d, "output_adapter"),
    reductionFactor,
    nonLinearity: act,
    originalLnBefore: bool(d, "original_ln_before"),
    originalLnAfter: bool(d, "original_ln_after"),
    residualBeforeLn: bool(d, "residual_before_ln"),
    adapterResidualBeforeLn: bool(d, "adapter_residual_before_ln"),
    lnBefore: bool(d, "ln_before"),
    lnAfter: bool(d, "ln_after"),
    isParallel: bool(d, "is_parallel"),
    scaling: sc as BnConfig["scaling"],
    useGating: bool(d, "use_gating"),
    invAdapter: inv as "nice" | null,
    invAdapterReductionFactor: optNum(d, "inv_adapter_reduction_factor"),
    leaveOut: Object.freeze(unionIds(intList(d, "leave_out"), o.leaveOut)),
    phmLayer: bool(d, "phm_layer"),
    phmDim: num(d, "phm_dim", { int: true, min: 1 }),
    factorizedPhmW: bool(d, "factorized_phm_W"),
    sharedWPhm: bool(d, "shared_W_phm"),
    sharedPhmRule: bool(d, "shared_phm_rule"),
    factorizedPhmRule: bool(d, "factorized_phm_rule"),
    phmRank: num(d, "phm_rank", { int: true, min: 1 }),
    phmBias: bool(d, "phm_bias"),
  });
}

function lora(raw: Dict, o: ConfigOptions): LoraConfig {
  const d: Dict = { ...LORA_DEFAULTS, ...raw };
  checkFields(d, Object.keys(LORA_DEFAULTS), "LoRA");
  const mode = str(d, "composition_mode");
  if (mode !== "add" && mode !== "scale") bad(`Unknown composition_mode: ${mode}`);
  const am = d.attn_matrices;
  if (!Array.isArray(am) || !am.every((x) => typeof x === "string")) {
    bad("attn_matrices must be a list of strings");
  }
  const r = num(d, "r", { int: true, min: 1 });
  let alpha = num(d, "alpha");
  // adapters < 1.1.0 ignored alpha (scaling 1): the loader sets alpha = r for such files
  const m = /^adapters\.(\d+)\.(\d+)/.exec(o.version ?? "");
  if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 1)) && r !== alpha) alpha = r;
  const veraD = optNum(d, "vera_d"), veraB = optNum(d, "vera_b");
  const useDora = bool(d, "use_dora");
  if (mode === "scale") {
    if (r > 1) bad("Can only use composition_mode='scale' when r == 1.");
    if (useDora) bad("IA3 module does not support DoRA.");
    if (num(d, "dropout") > 0) bad("IA3 module does not support dropout.");
  }
  return Object.freeze({
    kind: "lora",
    selfattnLora: bool(d, "selfattn_lora"),
    intermediateLora: bool(d, "intermediate_lora"),
    outputLora: bool(d, "output_lora"),
    leaveOut: Object.freeze(unionIds(intList(d, "leave_out"), o.leaveOut)),
    r,
    alpha,
    attnMatrices: Object.freeze([...(am as string[])]),
    compositionMode: mode,
    useGating: bool(d, "use_gating"),
    useDora,
    veraD,
    veraB,
  });
}

function prefix(raw: Dict, o: ConfigOptions): PrefixConfig {
  const d: Dict = { ...PREFIX_DEFAULTS, ...raw };
  checkFields(d, Object.keys(PREFIX_DEFAULTS), "prefix tuning");
  bool(d, "encoder_prefix"), bool(d, "cross_prefix"); // ignored on CLIP (spec §3.0), but typed
  return Object.freeze({
    kind: "prefix_tuning",
    leaveOut: Object.freeze(unionIds(intList(d, "leave_out"), o.leaveOut)),
    flat: bool(d, "flat"),
    prefixLength: num(d, "prefix_length", { int: true, min: 1 }),
    bottleneckSize: num(d, "bottleneck_size", { int: true, min: 1 }),
    nonLinearity: str(d, "non_linearity"),
    useGating: bool(d, "use_gating"),
    sharedGating: bool(d, "shared_gating"),
  });
}

function reft(raw: Dict, o: ConfigOptions): ReftConfig {
  const d: Dict = { ...REFT_DEFAULTS, ...raw };
  checkFields(d, Object.keys(REFT_DEFAULTS), "ReFT");
  const layers = d.layers === "all" ? "all" : Object.freeze(intList(d, "layers"));
  return Object.freeze({
    kind: "reft",
    layers,
    leaveOut: Object.freeze(unionIds(intList(d, "leave_out"), o.leaveOut)),
    prefixPositions: num(d, "prefix_positions", { int: true, min: 0 }),
    suffixPositions: num(d, "suffix_positions", { int: true, min: 0 }),
    r: num(d, "r", { int: true, min: 1 }),
    orthogonality: bool(d, "orthogonality"),
    tiedWeights: bool(d, "tied_weights"),
    subtractProjection: bool(d, "subtract_projection"),
    nonLinearity: optStr(d, "non_linearity"),
    outputReft: bool(d, "output_reft"),
  });
}

function unionIds(a: readonly number[], b: readonly number[] | undefined): number[] {
  return [...new Set([...a, ...(b ?? [])])];
}

/** Applies runtime overrides to one method dict (only fields that class knows). */
function applyOverrides(d: Dict, overrides: Dict | undefined, used: Set<string>): Dict {
  if (!overrides) return d;
  const arch = d.architecture ?? null;
  const known = arch === null ? [...Object.keys(BN_DEFAULTS), ...BN_REQUIRED] : Object.keys(
    arch === "lora" ? LORA_DEFAULTS : arch === "reft" ? REFT_DEFAULTS : PREFIX_DEFAULTS,
  );
  const out = { ...d };
  for (const [k0, v] of Object.entries(overrides)) {
    // case.json names the ReFT switch "reft_subtract_projection"
    const k = k0 === "reft_subtract_projection" && arch === "reft" ? "subtract_projection" : k0;
    if (known.includes(k) && k !== "architecture") {
      out[k] = v;
      used.add(k0);
    }
  }
  return out;
}

function method(d: Dict, o: ConfigOptions, used: Set<string>): MethodConfig {
  const dd = applyOverrides(d, o.overrides as Dict | undefined, used);
  const arch = dd.architecture ?? null;
  switch (arch) {
    case null:
    case "bottleneck":
      return bottleneck(dd, o);
    case "lora":
      return lora(dd, o);
    case "prefix_tuning":
      return prefix(dd, o);
    case "reft":
      return reft(dd, o);
    case "prompt_tuning":
      checkFields(dd, PROMPT_FIELDS, "prompt tuning");
      return unsupported(
        "prompt tuning is not supported on CLIP (the library raises when adding it)",
      );
    case "mtl_lora":
      checkFields(dd, [...Object.keys(LORA_DEFAULTS), ...MTL_LORA_FIELDS], "MTL-LoRA");
      return unsupported(
        "MTL-LoRA needs MultiTask composition with task ids, which CLIP cannot use",
      );
    default:
      return bad(`unknown architecture ${JSON.stringify(arch)}`, { key: "architecture" });
  }
}

/** Resolves `config` (a preset name or a config dict) into a typed config. */
export function parseAdapterConfig(config: unknown, o: ConfigOptions = {}): AdapterConfig {
  let d: unknown = config ?? "seq_bn";
  if (typeof d === "string") {
    const p = Object.hasOwn(PRESETS, d) ? PRESETS[d] : undefined; // own entries only
    if (!p) bad(`unknown preset ${JSON.stringify(d)} (known: ${Object.keys(PRESETS).join(", ")})`);
    d = p;
  }
  if (!isDict(d)) bad(`config must be a preset name or an object, found ${JSON.stringify(d)}`);
  const used = new Set<string>();
  let out: AdapterConfig;
  if (d.architecture === "union") {
    checkFields(d, ["architecture", "configs"], "union");
    const cs = d.configs;
    if (!Array.isArray(cs) || cs.length === 0 || !cs.every(isDict)) {
      bad("a union config needs a non-empty list of configs");
    }
    const configs = cs.map((c) => {
      if (c.architecture === "union") bad("unions cannot be nested");
      return method(c, o, used);
    });
    checkUnion(configs);
    out = Object.freeze({ kind: "union", configs: Object.freeze(configs) });
  } else out = method(d, o, used);
  for (const k of Object.keys(o.overrides ?? {})) {
    if (!used.has(k)) {
      bad(`override ${JSON.stringify(k)} is not a field of this adapter's config`, { key: k });
    }
  }
  return out;
}

/** The library's pairwise union check (ConfigUnion.validate). */
function checkUnion(cs: readonly MethodConfig[]): void {
  for (let i = 0; i < cs.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = cs[i], b = cs[j];
      if (a.kind !== b.kind) continue;
      if (a.leaveOut.length || b.leaveOut.length) continue;
      if (a.kind === "bottleneck" && b.kind === "bottleneck") {
        if (a.mhAdapter !== b.mhAdapter && a.outputAdapter !== b.outputAdapter) continue;
        bad("two bottleneck configs of a union use the same location");
      }
      bad(`a union holds two ${a.kind} configs`);
    }
  }
}

/** The method configs of a config (a union's parts, or the config itself). */
export function methodConfigs(c: AdapterConfig): readonly MethodConfig[] {
  return c.kind === "union" ? c.configs : [c];
}

/** The raw `scaling` values written as JSON integers: the library rejects those (§3.1). */
export function integerScalingInJson(text: string): boolean {
  return /"scaling"\s*:\s*-?\d+\s*[,}\]]/.test(text);
}
