"""Shared by train.py and train_adapter.py: process setup, paths, the BPE files, the HF folder
layout (config.json, preprocessor_config.json, model.safetensors) and evaluation on generated
images."""
import ctypes
import json
import os
import shutil

import numpy as np
import torch

import data
import safetensors_io
import world
import model as clip_model
from model import BOS_ID, EOS_ID, CLIPModel

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CACHE = os.path.join(ROOT, ".cache", "shapes")
F32_DIR = os.path.join(CACHE, "clip-shapes-f32")
PACKAGE = os.path.join(ROOT, "models", "shapes", "clip-shapes-int8.safetensors")
ADAPTER_DIR = os.path.join(ROOT, "models", "shapes", "adapters", "hexagon")
SHARED_BPE = os.path.join(ROOT, "..", "shared", "data", "clip-bpe")
BPE_FILES = ("vocab.json", "merges.txt")


def setup(threads=2):
    """Two threads; keep freed memory in the heap (page faults on fresh 600 KB buffers cost more
    than the image arithmetic on this kind of VM)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD
    torch.set_num_threads(threads)


def write_bpe(dest, bpe_dir=None):
    """Copies vocab.json + merges.txt into dest: from --bpe DIR, else from the committed package's
    metadata, else from ../shared/data/clip-bpe. Returns where they came from."""
    os.makedirs(dest, exist_ok=True)
    if bpe_dir is None and os.path.exists(PACKAGE):
        header, start = safetensors_io.read_header(PACKAGE)
        meta = header.get("__metadata__", {})
        keys = [f"edgeclip.file.{n}" for n in BPE_FILES]
        if all(k in header for k in keys):  # package format 2: U8 tensors
            with open(PACKAGE, "rb") as src:
                for n, k in zip(BPE_FILES, keys):
                    a, b = header[k]["data_offsets"]
                    src.seek(start + a)
                    with open(os.path.join(dest, n), "wb") as f:
                        f.write(src.read(b - a))
            return os.path.relpath(PACKAGE, ROOT) + " (file tensors)"
        if all(k in meta for k in keys):  # format 1: metadata strings
            for n, k in zip(BPE_FILES, keys):
                with open(os.path.join(dest, n), "w", encoding="utf-8", newline="") as f:
                    f.write(meta[k])
            return os.path.relpath(PACKAGE, ROOT) + " (metadata)"
    src = bpe_dir or SHARED_BPE
    for n in BPE_FILES:
        if not os.path.exists(os.path.join(src, n)):
            raise SystemExit(f"no {n} in {src}: pass --bpe DIR (a folder with vocab.json + merges.txt)")
        shutil.copyfile(os.path.join(src, n), os.path.join(dest, n))
    return src


def hf_config(vision_hidden, vision_layers, vision_heads, text_hidden, text_layers, text_heads,
              projection, patch=32):
    common = {"attention_dropout": 0.0, "dropout": 0.0, "hidden_act": "quick_gelu",
              "initializer_factor": 1.0, "initializer_range": 0.02, "layer_norm_eps": 1e-05,
              "projection_dim": projection}
    return {
        "_name_or_path": "edgeclip/clip-shapes",
        "architectures": ["CLIPModel"],
        "initializer_factor": 1.0,
        "logit_scale_init_value": 2.6592,
        "model_type": "clip",
        "projection_dim": projection,
        "text_config": {**common, "bos_token_id": BOS_ID, "eos_token_id": EOS_ID,
                        "hidden_size": text_hidden, "intermediate_size": 4 * text_hidden,
                        "max_position_embeddings": 77, "model_type": "clip_text_model",
                        "num_attention_heads": text_heads, "num_hidden_layers": text_layers,
                        "pad_token_id": 1, "vocab_size": 49408},
        "torch_dtype": "float32",
        "vision_config": {**common, "hidden_size": vision_hidden,
                          "intermediate_size": 4 * vision_hidden, "image_size": world.SIZE,
                          "model_type": "clip_vision_model", "num_attention_heads": vision_heads,
                          "num_channels": 3, "num_hidden_layers": vision_layers, "patch_size": patch},
    }


PREPROCESSOR = {
    "crop_size": {"height": 224, "width": 224},
    "do_center_crop": True,
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [float(v) for v in world.CLIP_MEAN],
    "image_processor_type": "CLIPImageProcessor",
    "image_std": [float(v) for v in world.CLIP_STD],
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 224},
}


def save_hf(model, out):
    """The Hugging Face CLIPModel folder (vocab.json + merges.txt are written by write_bpe)."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(model.config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(PREPROCESSOR, f, indent=2, sort_keys=True)
        f.write("\n")
    safetensors_io.save(os.path.join(out, "model.safetensors"), model.base_state())


def load_hf(folder, pool=clip_model.POOL):
    """A saved folder as a trainable model; its patch embedding trains pooled by `pool` only if it
    was trained so (every pool×pool block constant), else at full size."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    state, _ = safetensors_io.load(os.path.join(folder, "model.safetensors"))
    if pool > 1 and not clip_model.pooled(state[clip_model.PATCH_KEY], pool):
        pool = 1
    m = CLIPModel(cfg, pool)
    m.load_base_state(state)
    missing = set(k for k in m.state_dict() if ".loras." not in k) - set(state)
    if missing:
        raise SystemExit(f"{folder}: model.safetensors lacks {sorted(missing)[:3]}…")
    return m


def tokens(bpe_dir, shapes=world.ALL_SHAPES):
    """caption → ids for every training caption, tokenized by edgeclip with the BPE files in
    bpe_dir."""
    return data.tokenize_all(data.all_captions(shapes), bpe_dir, CACHE)


def label_ids(tok, labels):
    return data.pad([tok[data.DEFAULT_TEMPLATE.format(l)] for l in labels])


def eval_set(seed, n, shapes, style="train"):
    """n scenes as their files decode (JPEG encoded and decoded by Pillow; PNG is lossless)."""
    rng = np.random.default_rng(seed)
    scenes = [world.sample(rng, shapes, style) for _ in range(n)]
    imgs = np.stack([world.render(s, encode=False)[1] for s in scenes])
    return imgs, scenes


@torch.no_grad()
def classify(model, imgs, label_tokens, batch=100):
    """Top-1 label index per image (default template, cosine similarity)."""
    model.eval()
    t = model.encode_text(label_tokens)
    out = []
    for i in range(0, len(imgs), batch):
        v = model.encode_image(data.pixels(imgs[i:i + batch]))
        out.append((v @ t.T).argmax(dim=1))
    model.train()
    return torch.cat(out).numpy()


def report(name, pred, scenes, labels):
    truth = [labels.index(f"{s['colour']} {s['shape']}") if f"{s['colour']} {s['shape']}" in labels
             else -1 for s in scenes]
    ok = np.mean(np.array(truth) == pred)
    wrong = {}
    for s, p, t in zip(scenes, pred, truth):
        if p != t:
            k = f"{s['colour']} {s['shape']} → {labels[p]}"
            wrong[k] = wrong.get(k, 0) + 1
    worst = sorted(wrong.items(), key=lambda kv: -kv[1])[:6]
    print(f"{name}: {ok * 100:.2f}% of {len(scenes)}" + (f"  errors: {worst}" if worst else ""),
          flush=True)
    return ok
