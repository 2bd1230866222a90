"""Trains the shapes CLIP (issue 11) from scratch, contrastively, on generated image/caption
pairs, and writes it as a Hugging Face CLIPModel folder (default .cache/shapes/clip-shapes-f32).
CPU only, fixed seeds. Run through `deno task shapes` (see tools/shapes/README.md)."""
import os

# Two OpenMP threads that sleep instead of spinning when they wait: on a shared machine a
# spinning thread whose partner is descheduled burns its core (measured 3-10x slower steps).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json
import math
import time

import torch

import common
import data
import world
import model as clip_model
from model import CLIPModel


def param_groups(model, wd):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if name == "logit_scale":
            continue
        # biases, LayerNorms and embeddings are not decayed
        flat = p.dim() < 2 or "embedding" in name
        (no_decay if flat else decay).append(p)
    # the temperature gets a larger step: at the shared rate it barely leaves its init (14.3)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0},
            {"params": [model.logit_scale], "weight_decay": 0.0, "lr_mult": 20.0}]


def lr_at(step, steps, peak, warmup, constant=False):
    if step < warmup:
        return peak * (step + 1) / warmup
    if constant:
        return peak
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def grow_vision(old, n):
    """The model with n more vision layers appended, each the identity at first (zero output
    projections: x + 0 + 0), so training continues from the same function with more depth."""
    cfg = json.loads(json.dumps(old.config))
    cfg["vision_config"]["num_hidden_layers"] += n
    new = CLIPModel(cfg, old.vision_model.embeddings.pool)
    new.load_base_state(old.base_state())
    for layer in new.vision_model.encoder.layers[-n:]:
        for lin in (layer.self_attn.out_proj, layer.mlp.fc2):
            torch.nn.init.zeros_(lin.weight)
            torch.nn.init.zeros_(lin.bias)
    return new


def clip_loss(model, imgs, scenes, caps, tok, class_keys, class_ids):
    """Symmetric multi-positive CLIP loss; the default-template captions of all classes are
    extra text columns, so every image is contrasted with every label each step."""
    v = model.encode_image(data.raw_pixels(imgs), data.NORM_AFFINE)
    ids = data.pad([tok[c] for c, _ in caps] + class_ids)
    t = model.encode_text(ids)
    scale = model.logit_scale.exp()
    logits = scale * v @ t.T
    pos = data.targets(scenes, caps, class_keys)
    B = len(scenes)
    loss_i = data.multi_positive_loss(logits, pos)
    loss_t = data.multi_positive_loss(logits[:, :B].T, pos[:, :B].T)
    acc = (logits[:, B:].argmax(1) == pos[:, B:].int().argmax(1)).float().mean()
    return (loss_i + loss_t) / 2, acc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=common.F32_DIR)
    ap.add_argument("--bpe", help="folder with vocab.json + merges.txt")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=7e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--vision-hidden", type=int, default=128)
    ap.add_argument("--vision-layers", type=int, default=4)
    ap.add_argument("--vision-heads", type=int, default=4)
    ap.add_argument("--patch", type=int, default=32)
    ap.add_argument("--text-hidden", type=int, default=64)
    ap.add_argument("--text-layers", type=int, default=3)
    ap.add_argument("--projection", type=int, default=64)
    ap.add_argument("--eval", type=int, default=1000, help="held-out images per check set")
    ap.add_argument("--eval-every", type=int, default=0, help="steps between held-out checks")
    ap.add_argument("--init", default="dct", help="dct: DCT patch filters, 2-D sin-cos positions")
    ap.add_argument("--resume", default="", help="continue from this HF folder (same sizes)")
    ap.add_argument("--curriculum", type=int, default=200,
                    help="renders over which the share of easy scenes falls from 1 to 0")
    ap.add_argument("--pool", type=int, default=clip_model.POOL,
                    help="train the patch embedding on POOL×POOL-averaged pixels (1: full size)")
    ap.add_argument("--grow-vision", type=int, default=0,
                    help="on --resume, append this many vision layers that start as the identity")
    ap.add_argument("--constant-lr", action="store_true", help="no cosine decay (exploration)")
    a = ap.parse_args()
    common.setup()
    t0 = time.time()
    src = common.write_bpe(a.out, a.bpe)
    print(f"BPE files from {src}", flush=True)
    tok = common.tokens(a.out)
    torch.manual_seed(a.seed)
    cfg = common.hf_config(a.vision_hidden, a.vision_layers, a.vision_heads, a.text_hidden,
                           a.text_layers, 4, a.projection, a.patch)
    model = common.load_hf(a.resume, a.pool) if a.resume else CLIPModel(cfg, a.pool, a.init)
    if a.grow_vision:
        model = grow_vision(model, a.grow_vision)
    opt = torch.optim.AdamW(param_groups(model, a.wd), lr=a.lr, betas=(0.9, 0.98), eps=1e-6)
    labels = world.labels()
    class_keys = [(c, s) for c in world.COLOURS for s in world.BASE_SHAPES]
    class_ids = [tok[data.DEFAULT_TEMPLATE.format(f"{c} {s}")] for c, s in class_keys]
    batches = data.Batches(a.seed, a.batch, a.steps, (world.BASE_SHAPES, 1.0, None),
                           curriculum=a.curriculum)
    ids = common.label_ids(tok, labels)
    if a.eval_every:
        check = common.eval_set(1001, 500, world.BASE_SHAPES)
    run_loss = run_acc = 0.0
    t_log = time.time()
    for step, (imgs, scenes, caps) in enumerate(batches):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, a.warmup, a.constant_lr) * g.get("lr_mult", 1.0)
        loss, acc = clip_loss(model, imgs, scenes, caps, tok, class_keys, class_ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        run_loss += loss.item()
        run_acc += acc.item()
        if (step + 1) % 50 == 0:
            dt = time.time() - t_log
            print(f"step {step + 1}/{a.steps}  loss {run_loss / 50:.4f}  batch acc "
                  f"{run_acc / 50 * 100:.1f}%  scale {model.logit_scale.exp().item():.1f}  "
                  f"{50 * a.batch / dt:.0f} img/s  {time.time() - t0:.0f} s", flush=True)
            run_loss = run_acc = 0.0
            t_log = time.time()
        if a.eval_every and (step + 1) % a.eval_every == 0:
            common.report(f"step {step + 1} held-out", common.classify(model, check[0], ids),
                          check[1], labels)
            common.save_hf(model, a.out + ".partial")  # a run stopped early keeps its last check
    batches.close()
    common.save_hf(model, a.out)
    print(f"wrote {a.out} after {time.time() - t0:.0f} s", flush=True)
    for name, seed, style in () if not a.eval else (("held-out (train style, seed 1001)", 1001, "train"),
                              ("held-out (canonical style, seed 1002)", 1002, "canon")):
        imgs, scenes = common.eval_set(seed, a.eval, world.BASE_SHAPES, style)
        common.report(f"f32 {name}", common.classify(model, imgs, ids), scenes, labels)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
