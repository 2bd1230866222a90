"""The shapes CLIP in PyTorch, module for module as Hugging Face's CLIPModel (transformers 4.57
modeling_clip.py) so that state_dict() keys are HF's, plus LoRA on the sites the adapters library
wraps (q/k/v, fc1, fc2), saved under its key names (`…q_proj.loras.{name}.lora_A`).

Speed on Debian's python3-torch: it links the reference BLAS (~4 GFLOPS on 2 cores) but ships
oneDNN, whose convolutions run 20-50x faster, forward and backward. So the encoder keeps its
activations channels-first, [batch, hidden, sequence], where every x·Wᵀ + b is a 1-D convolution
with kernel 1 and the attention products are grouped 1-D convolutions: the same arithmetic and
the same parameters (nn.Linear's [out, in] weights) as HF's forward, with no layout copies of the
big tensors."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

EOS_ID = 49407
BOS_ID = 49406


# Default patch-embedding pooling during training (see VisionEmbeddings); 1 disables it.
POOL = 2
PATCH_KEY = "vision_model.embeddings.patch_embedding.weight"


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def linear_cf(x, w, b=None):
    """x [B, in, S] → [B, out, S]: x·Wᵀ + b per position."""
    return F.conv1d(x, w[:, :, None], b)


def layer_norm_cf(x, norm):
    """nn.LayerNorm over the channel axis of x [B, H, S]."""
    mu = x.mean(dim=1, keepdim=True)
    var = (x - mu).square().mean(dim=1, keepdim=True)
    y = (x - mu) * torch.rsqrt(var + norm.eps)
    return y * norm.weight[None, :, None] + norm.bias[None, :, None]


class LoRA(nn.Module):
    """One LoRA on one linear: delta = x·Aᵀ·Bᵀ·(alpha/r) (adapters' LoRA, composition "add")."""

    def __init__(self, d_in, d_out, r, alpha):
        super().__init__()
        self.lora_A = nn.Parameter(torch.empty(r, d_in))
        self.lora_B = nn.Parameter(torch.zeros(d_out, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # the library's "lora" init
        self.scaling = alpha / r

    def forward(self, x):
        return linear_cf(linear_cf(x, self.lora_A), self.lora_B) * self.scaling


class Linear(nn.Linear):
    """nn.Linear (channels-first input) with optional LoRAs (the library's LoRALinear, unmerged,
    one active adapter)."""

    def __init__(self, d_in, d_out, bias=True):
        super().__init__(d_in, d_out, bias=bias)
        self.loras = nn.ModuleDict()
        self.active = None

    def forward(self, x):
        y = linear_cf(x, self.weight, self.bias)
        if self.active is not None and self.active in self.loras:
            y = y + self.loras[self.active](x)
        return y


class Attention(nn.Module):
    def __init__(self, h, heads):
        super().__init__()
        self.heads, self.hd = heads, h // heads
        self.q_proj, self.k_proj = Linear(h, h), Linear(h, h)
        self.v_proj, self.out_proj = Linear(h, h), Linear(h, h)  # (no LoRA site on out_proj)

    def forward(self, x, mask):
        B, H, S = x.shape
        G, hd = B * self.heads, self.hd
        q = self.q_proj(x) * hd ** -0.5
        k, v = self.k_proj(x), self.v_proj(x)
        # scores[g, i, j] = Σ_d q[g, d, i]·k[g, d, j]: k is the input, qᵀ the per-group kernels
        s = F.conv1d(k.reshape(1, G * hd, S), q.view(G, hd, S).transpose(1, 2).reshape(G * S, hd, 1),
                     groups=G).view(G, S, S)
        if mask is not None:
            s = s + mask
        p = torch.softmax(s, dim=-1)
        # out[g, i, d] = Σ_j p[g, i, j]·v[g, d, j]: vᵀ is the input, p the per-group kernels
        o = F.conv1d(v.view(G, hd, S).transpose(1, 2).reshape(1, G * S, hd),
                     p.reshape(G * S, S, 1), groups=G).view(G, S, hd)
        return self.out_proj(o.transpose(1, 2).reshape(B, H, S))


class MLP(nn.Module):
    def __init__(self, h, inter):
        super().__init__()
        self.fc1, self.fc2 = Linear(h, inter), Linear(inter, h)

    def forward(self, x):
        return self.fc2(quick_gelu(self.fc1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, h, inter, heads, eps):
        super().__init__()
        self.self_attn = Attention(h, heads)
        self.layer_norm1 = nn.LayerNorm(h, eps=eps)
        self.mlp = MLP(h, inter)
        self.layer_norm2 = nn.LayerNorm(h, eps=eps)

    def forward(self, x, mask):
        x = x + self.self_attn(layer_norm_cf(x, self.layer_norm1), mask)
        return x + self.mlp(layer_norm_cf(x, self.layer_norm2))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(c["hidden_size"], c["intermediate_size"], c["num_attention_heads"],
                         c["layer_norm_eps"]) for _ in range(c["num_hidden_layers"]))

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


class TextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])


class TextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = TextEmbeddings(c)
        self.encoder = Encoder(c)
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, ids):
        """ids [B, S] int64 ([BOS, …, EOS, 0…]); returns the pooled feature at the first EOS
        (causal attention: later positions never reach it)."""
        B, S = ids.shape
        e = self.embeddings
        x = e.token_embedding(ids) + e.position_embedding.weight[:S]
        mask = torch.full((S, S), torch.finfo(x.dtype).min).triu(1)
        x = self.encoder(x.transpose(1, 2).contiguous(), mask)
        pool = (ids == EOS_ID).int().argmax(dim=-1)
        return self.final_layer_norm(x[torch.arange(B), :, pool])


class VisionEmbeddings(nn.Module):
    def __init__(self, c, pool):
        super().__init__()
        h, p = c["hidden_size"], c["patch_size"]
        # POOL > 1 trains a patch embedding POOL times smaller on POOL×POOL-averaged pixels: the
        # saved P×P weight (each small weight repeated over its POOL×POOL block, ÷ POOL²) computes
        # exactly the same function on full-size pixels, at 1/POOL² of the embedding's cost.
        self.pool = pool if p % pool == 0 else 1
        self.class_embedding = nn.Parameter(torch.randn(h))
        self.patch_embedding = nn.Conv2d(c["num_channels"], h, p // self.pool,
                                         stride=p // self.pool, bias=False)
        self.position_embedding = nn.Embedding((c["image_size"] // p) ** 2 + 1, h)


class VisionTransformer(nn.Module):
    def __init__(self, c, pool):
        super().__init__()
        self.embeddings = VisionEmbeddings(c, pool)
        self.pre_layrnorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.encoder = Encoder(c)
        self.post_layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, pixels, affine=None):
        """pixels [B, 3, H, W]; with affine = (a, b) (per channel) the pixels are raw and the
        model sees a·pixels + b, folded into the (linear, bias-free) patch embedding."""
        e = self.embeddings
        w = e.patch_embedding.weight
        if e.pool > 1:
            pixels = F.avg_pool2d(pixels, e.pool)
        if affine is None:
            p = F.conv2d(pixels, w, stride=w.shape[-1])
        else:
            a, b = affine
            bias = (w * b.view(1, -1, 1, 1)).sum(dim=(1, 2, 3))
            p = F.conv2d(pixels, w * a.view(1, -1, 1, 1), bias, stride=w.shape[-1])
        p = p.flatten(2)  # [B, H, patches], row-major patch order
        cls = e.class_embedding.view(1, -1, 1).expand(p.shape[0], -1, 1)
        x = torch.cat([cls, p], dim=2) + e.position_embedding.weight.T
        x = self.encoder(layer_norm_cf(x, self.pre_layrnorm))
        return self.post_layernorm(x[:, :, 0])


def dct_patch_init(w):
    """w [H, 3, P, P]: filter k = a low-frequency 2-D DCT basis on one colour channel."""
    H, C, P, _ = w.shape
    freqs = sorted(((u, v) for u in range(P) for v in range(P)), key=lambda t: (t[0] + t[1], t[0]))
    x = torch.arange(P, dtype=torch.float64)
    out = torch.zeros(H, C, P, P, dtype=torch.float64)
    for k in range(H):
        u, v = freqs[k // C]
        c = k % C
        bu = torch.cos(math.pi * (2 * x + 1) * u / (2 * P))
        bv = torch.cos(math.pi * (2 * x + 1) * v / (2 * P))
        b = bu[:, None] * bv[None, :]
        out[k, c] = b / b.norm()
    w.data[:] = out.float() * 0.5


def sincos_2d(h, grid):
    """MAE-style 2-D sin-cos position embeddings [grid²+1, h] (row 0: class token, zeros)."""
    assert h % 4 == 0
    q = h // 4
    omega = 1.0 / (10000 ** (torch.arange(q, dtype=torch.float64) / q))
    ys, xs = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64), indexing="ij")
    out = []
    for pos in (ys.flatten(), xs.flatten()):
        a = pos[:, None] * omega[None, :]
        out += [torch.sin(a), torch.cos(a)]
    pe = torch.cat(out, dim=1)
    return torch.cat([torch.zeros(1, h, dtype=torch.float64), pe], 0).float()


def pooled(w, pool):
    """Whether a full-size patch weight is constant over its pool×pool blocks (trained pooled)."""
    back = w[:, :, ::pool, ::pool].repeat_interleave(pool, 2).repeat_interleave(pool, 3)
    return torch.allclose(back, w, atol=1e-7)


class CLIPModel(nn.Module):
    def __init__(self, config, pool=POOL, init=None):
        """config: the HF config dict; pool: the patch embedding's training pooling (see
        VisionEmbeddings); init "dct": DCT patch filters and 2-D sin-cos positions."""
        super().__init__()
        self.config = config
        t, v = config["text_config"], config["vision_config"]
        self.text_model = TextTransformer(t)
        self.vision_model = VisionTransformer(v, pool)
        self.visual_projection = nn.Linear(v["hidden_size"], config["projection_dim"], bias=False)
        self.text_projection = nn.Linear(t["hidden_size"], config["projection_dim"], bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config["logit_scale_init_value"]))
        self.init_weights(init)

    def init_weights(self, init=None):
        """HF CLIPPreTrainedModel._init_weights (factor 1)."""
        for tower, c in ((self.text_model, self.config["text_config"]),
                         (self.vision_model, self.config["vision_config"])):
            h, n = c["hidden_size"], c["num_hidden_layers"]
            rng = c["initializer_range"]
            emb = tower.embeddings
            if isinstance(emb, TextEmbeddings):
                nn.init.normal_(emb.token_embedding.weight, std=rng)
                nn.init.normal_(emb.position_embedding.weight, std=rng)
            else:
                nn.init.normal_(emb.class_embedding, std=h ** -0.5)
                nn.init.normal_(emb.patch_embedding.weight, std=rng)
                nn.init.normal_(emb.position_embedding.weight, std=rng)
            in_std = h ** -0.5 * (2 * n) ** -0.5
            out_std = h ** -0.5
            fc_std = (2 * h) ** -0.5
            for layer in tower.encoder.layers:
                a, m = layer.self_attn, layer.mlp
                for lin in (a.q_proj, a.k_proj, a.v_proj):
                    nn.init.normal_(lin.weight, std=in_std)
                nn.init.normal_(a.out_proj.weight, std=out_std)
                nn.init.normal_(m.fc1.weight, std=fc_std)
                nn.init.normal_(m.fc2.weight, std=in_std)
                for lin in (a.q_proj, a.k_proj, a.v_proj, a.out_proj, m.fc1, m.fc2):
                    nn.init.zeros_(lin.bias)
        if init == "dct":
            dct_patch_init(self.vision_model.embeddings.patch_embedding.weight)
            g = self.config["vision_config"]["image_size"] // self.config["vision_config"]["patch_size"]
            self.vision_model.embeddings.position_embedding.weight.data[:] = sincos_2d(
                self.config["vision_config"]["hidden_size"], g)
        nn.init.normal_(self.visual_projection.weight,
                        std=self.config["vision_config"]["hidden_size"] ** -0.5)
        nn.init.normal_(self.text_projection.weight,
                        std=self.config["text_config"]["hidden_size"] ** -0.5)

    def encode_text(self, ids):
        return F.normalize(self.text_projection(self.text_model(ids)), dim=-1)

    def encode_image(self, pixels, affine=None):
        v = self.vision_model(pixels, affine)
        return F.normalize(self.visual_projection(v), dim=-1)

    # ---- LoRA ----------------------------------------------------------------------------------

    def lora_sites(self, cfg):
        """(key prefix, Linear) of every linear a LoRAConfig wraps (global layer ids: text first)."""
        sites, lt = [], self.config["text_config"]["num_hidden_layers"]
        for tower, name, base in ((self.text_model, "text_model", 0),
                                  (self.vision_model, "vision_model", lt)):
            for i, layer in enumerate(tower.encoder.layers):
                if base + i in cfg["leave_out"]:
                    continue
                p = f"{name}.encoder.layers.{i}."
                if cfg["selfattn_lora"]:
                    for m in ("q", "k", "v"):
                        if m in cfg["attn_matrices"]:
                            sites.append((p + f"self_attn.{m}_proj", getattr(layer.self_attn, f"{m}_proj")))
                if cfg["intermediate_lora"]:
                    sites.append((p + "mlp.fc1", layer.mlp.fc1))
                if cfg["output_lora"]:
                    sites.append((p + "mlp.fc2", layer.mlp.fc2))
        return sites

    def add_lora(self, name, cfg):
        for _, lin in self.lora_sites(cfg):
            lin.loras[name] = LoRA(lin.in_features, lin.out_features, cfg["r"], cfg["alpha"])

    def set_active_lora(self, name):
        for m in self.modules():
            if isinstance(m, Linear):
                m.active = name

    def lora_state(self, name, cfg):
        out = {}
        for key, lin in self.lora_sites(cfg):
            lo = lin.loras[name]
            out[f"{key}.loras.{name}.lora_A"] = lo.lora_A.detach()
            out[f"{key}.loras.{name}.lora_B"] = lo.lora_B.detach()
        return out

    def base_state(self):
        """HF CLIPModel state_dict: every key but the LoRA ones."""
        out = {k: v.detach() for k, v in self.state_dict().items() if ".loras." not in k}
        k, pool = PATCH_KEY, self.vision_model.embeddings.pool
        if pool > 1:
            out[k] = out[k].repeat_interleave(pool, 2).repeat_interleave(pool, 3) / pool ** 2
        return out

    def load_base_state(self, state):
        """The inverse of base_state (a full-size patch weight whose blocks are constant)."""
        state, pool = dict(state), self.vision_model.embeddings.pool
        if pool > 1:
            if not pooled(state[PATCH_KEY], pool):
                raise SystemExit(f"{PATCH_KEY} was not trained pooled ({pool}×{pool} blocks differ)")
            state[PATCH_KEY] = state[PATCH_KEY][:, :, ::pool, ::pool] * pool ** 2
        self.load_state_dict(state, strict=False)
