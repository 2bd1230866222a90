#!/usr/bin/env python3
"""Writes a second CLIP golden fixture folder (same schema as ../shared/golden/clip) for shapes the
public fixtures do not cover: exact gelu, legacy eos_token_id 2 (argmax pooling), unequal and odd
tower widths, head dims that are not multiples of 4, different layer counts, padding masks with
left padding, a non-square patch grid count, 0-padded rows.

The reference forward below is written from the HF CLIPModel definition (transformers 4.57
modeling_clip.py), in float64, independently of edgeclip's TypeScript. Run with Debian's
python3-torch (1.13):  /usr/bin/python3 tools/alt_golden/make_alt_golden.py tests/fixtures/golden_alt
"""
import json, math, os, struct, sys
import torch

torch.set_default_dtype(torch.float64)
MIN32 = float(torch.finfo(torch.float32).min)


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        dt = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        b = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def act(name, x):
    if name == "gelu":
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    raise ValueError(name)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def encoder(x, W, pre, n_layers, heads, eps, actname, mask):
    B, S, H = x.shape
    hd = H // heads
    for i in range(n_layers):
        p = f"{pre}.encoder.layers.{i}."
        r = x
        h = layer_norm(x, W[p + "layer_norm1.weight"], W[p + "layer_norm1.bias"], eps)
        def proj(n, t):
            return t @ W[p + f"self_attn.{n}.weight"].T + W[p + f"self_attn.{n}.bias"]
        q = proj("q_proj", h).view(B, S, heads, hd).transpose(1, 2)
        k = proj("k_proj", h).view(B, S, heads, hd).transpose(1, 2)
        v = proj("v_proj", h).view(B, S, heads, hd).transpose(1, 2)
        s = q @ k.transpose(-1, -2) * hd ** -0.5
        if mask is not None:
            s = s + mask
        a = torch.softmax(s, -1) @ v
        a = a.transpose(1, 2).reshape(B, S, H)
        x = r + proj("out_proj", a)
        r = x
        h = layer_norm(x, W[p + "layer_norm2.weight"], W[p + "layer_norm2.bias"], eps)
        h = act(actname, h @ W[p + "mlp.fc1.weight"].T + W[p + "mlp.fc1.bias"])
        x = r + (h @ W[p + "mlp.fc2.weight"].T + W[p + "mlp.fc2.bias"])
    return x


def forward(W, cfg, ids, amask, pix):
    tc, vc = cfg["text_config"], cfg["vision_config"]
    out = {}
    # vision
    P = vc["patch_size"]
    B = pix.shape[0]
    pe = torch.nn.functional.conv2d(pix, W["vision_model.embeddings.patch_embedding.weight"], stride=P)
    pe = pe.flatten(2).transpose(1, 2)
    cls = W["vision_model.embeddings.class_embedding"].expand(B, 1, -1)
    x = torch.cat([cls, pe], 1) + W["vision_model.embeddings.position_embedding.weight"]
    x = layer_norm(x, W["vision_model.pre_layrnorm.weight"], W["vision_model.pre_layrnorm.bias"], vc["layer_norm_eps"])
    x = encoder(x, W, "vision_model", vc["num_hidden_layers"], vc["num_attention_heads"], vc["layer_norm_eps"], vc["hidden_act"], None)
    out["vision_last_hidden_state"] = x
    pooled = layer_norm(x[:, 0], W["vision_model.post_layernorm.weight"], W["vision_model.post_layernorm.bias"], vc["layer_norm_eps"])
    out["vision_pooler_output"] = pooled
    img = pooled @ W["visual_projection.weight"].T
    # text
    Bt, S = ids.shape
    x = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:S]
    causal = torch.full((S, S), MIN32).triu(1)[None, None]
    mask = causal
    if amask is not None:
        mask = mask + ((1.0 - amask.double()) * MIN32)[:, None, None, :]
    x = encoder(x, W, "text_model", tc["num_hidden_layers"], tc["num_attention_heads"], tc["layer_norm_eps"], tc["hidden_act"], mask)
    x = layer_norm(x, W["text_model.final_layer_norm.weight"], W["text_model.final_layer_norm.bias"], tc["layer_norm_eps"])
    out["text_last_hidden_state"] = x
    if tc["eos_token_id"] == 2:
        idx = ids.argmax(-1)
    else:
        idx = (ids == tc["eos_token_id"]).int().argmax(-1)
    pooled_t = x[torch.arange(Bt), idx]
    out["text_pooler_output"] = pooled_t
    txt = pooled_t @ W["text_projection.weight"].T
    img = img / img.norm(dim=-1, keepdim=True)
    txt = txt / txt.norm(dim=-1, keepdim=True)
    out["image_embeds"], out["text_embeds"] = img, txt
    lpt = txt @ img.T * W["logit_scale"].exp()
    out["logits_per_text"], out["logits_per_image"] = lpt, lpt.T
    return out


def random_weights(cfg, g):
    tc, vc = cfg["text_config"], cfg["vision_config"]
    W = {}
    def rnd(*shape, scale=0.2):
        return torch.randn(*shape, generator=g) * scale
    def tower(pre, c):
        H, I = c["hidden_size"], c["intermediate_size"]
        for i in range(c["num_hidden_layers"]):
            p = f"{pre}.encoder.layers.{i}."
            for n in ["q_proj", "k_proj", "v_proj", "out_proj"]:
                W[p + f"self_attn.{n}.weight"] = rnd(H, H, scale=H ** -0.5)
                W[p + f"self_attn.{n}.bias"] = rnd(H, scale=0.1)
            for n in ["layer_norm1", "layer_norm2"]:
                W[p + f"{n}.weight"] = 1 + rnd(H, scale=0.1)
                W[p + f"{n}.bias"] = rnd(H, scale=0.1)
            W[p + "mlp.fc1.weight"] = rnd(I, H, scale=H ** -0.5)
            W[p + "mlp.fc1.bias"] = rnd(I, scale=0.1)
            W[p + "mlp.fc2.weight"] = rnd(H, I, scale=I ** -0.5)
            W[p + "mlp.fc2.bias"] = rnd(H, scale=0.1)
    Ht, Hv = tc["hidden_size"], vc["hidden_size"]
    W["text_model.embeddings.token_embedding.weight"] = rnd(tc["vocab_size"], Ht, scale=0.5)
    W["text_model.embeddings.position_embedding.weight"] = rnd(tc["max_position_embeddings"], Ht, scale=0.3)
    tower("text_model", tc)
    W["text_model.final_layer_norm.weight"] = 1 + rnd(Ht, scale=0.1)
    W["text_model.final_layer_norm.bias"] = rnd(Ht, scale=0.1)
    P, C = vc["patch_size"], vc["num_channels"]
    g2 = (vc["image_size"] // P) ** 2
    W["vision_model.embeddings.class_embedding"] = rnd(Hv, scale=0.5)
    W["vision_model.embeddings.patch_embedding.weight"] = rnd(Hv, C, P, P, scale=(C * P * P) ** -0.5)
    W["vision_model.embeddings.position_embedding.weight"] = rnd(g2 + 1, Hv, scale=0.3)
    for n in ["pre_layrnorm", "post_layernorm"]:
        W[f"vision_model.{n}.weight"] = 1 + rnd(Hv, scale=0.1)
        W[f"vision_model.{n}.bias"] = rnd(Hv, scale=0.1)
    tower("vision_model", vc)
    W["text_projection.weight"] = rnd(cfg["projection_dim"], Ht, scale=Ht ** -0.5)
    W["visual_projection.weight"] = rnd(cfg["projection_dim"], Hv, scale=Hv ** -0.5)
    W["logit_scale"] = torch.tensor(2.6592)
    return {k: v.to(torch.float32).to(torch.float64) for k, v in W.items()}  # f32-representable


CFG = {
    "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 24, "logit_scale_init_value": 2.6592,
    "text_config": {"model_type": "clip_text_model", "hidden_size": 36, "intermediate_size": 70,
                    "num_hidden_layers": 2, "num_attention_heads": 3, "max_position_embeddings": 20,
                    "vocab_size": 600, "hidden_act": "gelu", "layer_norm_eps": 1e-5,
                    "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "projection_dim": 24},
    "vision_config": {"model_type": "clip_vision_model", "hidden_size": 30, "intermediate_size": 50,
                      "num_hidden_layers": 3, "num_attention_heads": 5, "image_size": 48, "patch_size": 16,
                      "num_channels": 3, "hidden_act": "gelu", "layer_norm_eps": 1e-5, "projection_dim": 24},
}


def main(out):
    g = torch.Generator().manual_seed(1234)
    W = random_weights(CFG, g)
    os.makedirs(f"{out}/clip/model", exist_ok=True)
    os.makedirs(f"{out}/clip/inputs", exist_ok=True)
    json.dump(CFG, open(f"{out}/clip/model/config.json", "w"), indent=2)
    save_safetensors(f"{out}/clip/model/model.safetensors", {k: v.to(torch.float32) for k, v in W.items()})
    # rows: legacy convention — EOT is the highest id (599), padding 0 after it; one row left-padded
    S = 12
    rows, masks = [], []
    for n, left in [(5, 0), (12, 0), (1, 0), (7, 3)]:
        body = torch.randint(3, 598, (n,), generator=g).tolist()
        seq = [598] + body[: S - 2] + [599] if n < S - 1 else [598] + body[: S - 2] + [599]
        seq = seq[:S]
        pad = S - len(seq)
        if left:
            r = [0] * pad + seq
            m = [0] * pad + [1] * len(seq)
        else:
            r = seq + [0] * pad
            m = [1] * len(seq) + [0] * pad
        rows.append(r)
        masks.append(m)
    ids = torch.tensor(rows, dtype=torch.int64)
    am = torch.tensor(masks, dtype=torch.int64)
    pix = torch.randn(3, 3, 48, 48, generator=g).to(torch.float32).to(torch.float64)
    save_safetensors(f"{out}/clip/inputs/main.safetensors",
                     {"input_ids": ids, "attention_mask": am, "pixel_values": pix.to(torch.float32)})
    save_safetensors(f"{out}/clip/inputs/nomask.safetensors",
                     {"input_ids": ids, "pixel_values": pix.to(torch.float32)})
    cases = []
    for name, inputs, use_mask in [("base", "main", True), ("base_nomask", "nomask", False)]:
        o = forward(W, CFG, ids, am if use_mask else None, pix)
        d = f"{out}/clip/cases/{name}"
        os.makedirs(d, exist_ok=True)
        save_safetensors(f"{d}/expected.safetensors", {k: v.to(torch.float32) for k, v in o.items()})
        tol = {k: {"atol": 1e-4 if k.endswith("embeds") else (2e-3 if k.startswith("logits") else 5e-4), "rtol": 1e-4} for k in o}
        json.dump({
            "name": name, "model": "../../model", "inputs": f"../../inputs/{inputs}.safetensors",
            "adapters": [], "fusion": None, "active_setup": None, "outputs": "expected.safetensors",
            "output_shapes": {k: list(v.shape) for k, v in o.items()},
            "required_outputs": ["text_embeds", "image_embeds", "logits_per_image", "text_last_hidden_state", "vision_pooler_output"],
            "tolerance": tol, "reference_dtype": "float64",
            "notes": ["edgeclip alt fixture: gelu, eos_token_id 2, odd widths, left padding" + ("" if use_mask else ", no attention_mask")],
        }, open(f"{d}/case.json", "w"), indent=2)
        cases.append({"name": name, "path": f"cases/{name}"})
    json.dump({"label": "edgeclip/alt", "model": "model", "inputs": "inputs", "cases": cases},
              open(f"{out}/clip/manifest.json", "w"), indent=2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/golden_alt")
