// The adapters library's config defaults and named presets (configuration/adapter_config.py,
// ADAPTER_CONFIG_MAP, v1.2.0), as plain JSON dicts in the library's own field names. config.ts
// turns a dict (a preset's, or one read from adapter_config.json) into a typed config.

type Dict = Record<string, unknown>;

/** BnConfig's defaults for its optional fields (required: mh/output_adapter, rf, non_linearity). */
export const BN_DEFAULTS: Dict = {
  original_ln_before: false,
  original_ln_after: true,
  residual_before_ln: true,
  adapter_residual_before_ln: false,
  ln_before: false,
  ln_after: false,
  init_weights: "bert",
  init_weights_seed: null,
  is_parallel: false,
  scaling: 1.0,
  use_gating: false,
  inv_adapter: null,
  inv_adapter_reduction_factor: null,
  cross_adapter: false,
  leave_out: [],
  dropout: 0.0,
  phm_layer: false,
  phm_dim: 4,
  factorized_phm_W: true,
  shared_W_phm: false,
  shared_phm_rule: true,
  factorized_phm_rule: false,
  phm_c_init: "normal",
  phm_init_range: 0.0001,
  learn_phm: true,
  hypercomplex_nonlinearity: "glorot-uniform",
  phm_rank: 1,
  phm_bias: true,
  stochastic_depth: 0.0,
};
export const BN_REQUIRED = ["mh_adapter", "output_adapter", "reduction_factor", "non_linearity"];

export const LORA_DEFAULTS: Dict = {
  architecture: "lora",
  selfattn_lora: true,
  intermediate_lora: false,
  output_lora: false,
  leave_out: [],
  r: 8,
  alpha: 8,
  dropout: 0.0,
  attn_matrices: ["q", "v"],
  composition_mode: "add",
  init_weights: "lora",
  init_weights_seed: null,
  use_gating: false,
  use_dora: false,
  vera_d: null,
  vera_b: null,
  dtype: null,
};
/** Fields only MTL-LoRA has (architecture "mtl_lora"). */
export const MTL_LORA_FIELDS = [
  "n_up_projection",
  "task_specific_matrix_type",
  "weights_sharpness",
];

export const PREFIX_DEFAULTS: Dict = {
  architecture: "prefix_tuning",
  encoder_prefix: true,
  cross_prefix: true,
  leave_out: [],
  flat: false,
  prefix_length: 30,
  bottleneck_size: 512,
  non_linearity: "tanh",
  dropout: 0.0,
  use_gating: false,
  shared_gating: true,
  init_weights_seed: null,
};

export const REFT_DEFAULTS: Dict = {
  architecture: "reft",
  layers: "all",
  prefix_positions: 3,
  suffix_positions: 0,
  r: 1,
  orthogonality: false,
  tied_weights: false,
  subtract_projection: true,
  dropout: 0.05,
  non_linearity: null,
  dtype: null,
  output_reft: true,
  init_weights_seed: null,
  leave_out: [],
};

export const PROMPT_FIELDS = [
  "architecture",
  "prompt_length",
  "prompt_init",
  "prompt_init_text",
  "combine",
  "init_weights_seed",
  "leave_out",
];

const seqBn: Dict = {
  mh_adapter: false,
  output_adapter: true,
  reduction_factor: 16,
  non_linearity: "relu",
  original_ln_before: true,
  original_ln_after: true,
  ln_before: false,
  ln_after: false,
  residual_before_ln: true,
};
const doubleSeqBn: Dict = {
  mh_adapter: true,
  output_adapter: true,
  reduction_factor: 16,
  non_linearity: "swish",
  original_ln_before: false,
  original_ln_after: true,
  ln_before: false,
  ln_after: false,
  residual_before_ln: true,
};
const parBn: Dict = {
  mh_adapter: false,
  output_adapter: true,
  reduction_factor: 2,
  non_linearity: "relu",
  original_ln_before: false,
  original_ln_after: true,
  ln_before: false,
  ln_after: false,
  residual_before_ln: true,
  init_weights: "mam_adapter",
  is_parallel: true,
  scaling: 4.0,
};
const compacterPP: Dict = {
  mh_adapter: false,
  output_adapter: true,
  reduction_factor: 32,
  non_linearity: "gelu",
  original_ln_before: true,
  original_ln_after: true,
  residual_before_ln: true,
  phm_layer: true,
};
const compacter: Dict = {
  mh_adapter: true,
  output_adapter: true,
  reduction_factor: 32,
  non_linearity: "gelu",
  original_ln_before: false,
  original_ln_after: true,
  residual_before_ln: true,
  phm_layer: true,
};
const inv: Dict = { inv_adapter: "nice", inv_adapter_reduction_factor: 2 };

/** Named presets (current names and the deprecated aliases) as config dicts. */
export const PRESETS: Readonly<Record<string, Dict>> = {
  pfeiffer: seqBn,
  houlsby: doubleSeqBn,
  parallel: parBn,
  scaled_parallel: { ...parBn, scaling: "learned" },
  "pfeiffer+inv": { ...seqBn, ...inv },
  "houlsby+inv": { ...doubleSeqBn, ...inv },
  seq_bn: seqBn,
  double_seq_bn: doubleSeqBn,
  par_bn: parBn,
  scaled_par_bn: { ...parBn, scaling: "learned" },
  seq_bn_inv: { ...seqBn, ...inv },
  double_seq_bn_inv: { ...doubleSeqBn, ...inv },
  "compacter++": compacterPP,
  compacter,
  prefix_tuning: { architecture: "prefix_tuning" },
  prefix_tuning_flat: { architecture: "prefix_tuning", flat: true },
  prompt_tuning: { architecture: "prompt_tuning" },
  mtl_lora: { architecture: "mtl_lora" },
  lora: { architecture: "lora" },
  ia3: {
    architecture: "lora",
    selfattn_lora: true,
    intermediate_lora: true,
    output_lora: false,
    r: 1,
    alpha: 1,
    attn_matrices: ["k", "v"],
    composition_mode: "scale",
    init_weights: "ia3",
  },
  vera: { architecture: "lora", r: 8, vera_d: 0.1, vera_b: 0.0, init_weights: "vera" },
  dora: { architecture: "lora", use_dora: true },
  dvora: { architecture: "lora", vera_d: 0.1, vera_b: 0.0, init_weights: "vera", use_dora: true },
  loreft: { architecture: "reft", orthogonality: true },
  noreft: { architecture: "reft", orthogonality: false },
  direft: { architecture: "reft", orthogonality: false, subtract_projection: false },
  mam: {
    architecture: "union",
    configs: [{ architecture: "prefix_tuning", bottleneck_size: 800 }, parBn],
  },
  unipelt: {
    architecture: "union",
    configs: [
      { architecture: "prefix_tuning", prefix_length: 10, use_gating: true },
      { ...seqBn, reduction_factor: 16, use_gating: true },
      { architecture: "lora", r: 8, alpha: 2, use_gating: true },
    ],
  },
};
