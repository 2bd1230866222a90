"""Trains the hexagon adapter (issue 11): a LoRA, in the AdapterHub `adapters` library's format,
on both towers of the frozen shapes CLIP, with hexagon images ("<colour> hexagon", a shape the
base model never saw) and replay of the base shapes. Writes adapter_config.json +
adapter.safetensors (default models/shapes/adapters/hexagon). Run through `deno task shapes`."""
import os

# see train.py
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

import common  # noqa: E402
import data  # noqa: E402
import safetensors_io  # noqa: E402
import world  # noqa: E402
from train import lr_at, clip_loss  # noqa: E402

NAME = "hexagon"


def lora_config(r, alpha):
    """The full LoRAConfig dict as the adapters library (1.2.0) saves it."""
    return {
        "alpha": alpha,
        "architecture": "lora",
        "attn_matrices": ["q", "k", "v"],
        "composition_mode": "add",
        "dropout": 0.0,
        "dtype": None,
        "init_weights": "lora",
        "init_weights_seed": None,
        "intermediate_lora": True,
        "leave_out": [],
        "output_lora": True,
        "r": r,
        "selfattn_lora": True,
        "use_dora": False,
        "use_gating": False,
        "vera_b": None,
        "vera_d": None,
    }


def save_adapter(model, cfg, out):
    os.makedirs(out, exist_ok=True)
    meta = {"config": cfg, "hidden_size": None, "model_class": "CLIPModel",
            "model_name": model.config["_name_or_path"], "model_type": "clip", "name": NAME,
            "version": "adapters.1.2.0"}
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    # saved in half precision: half the bytes in the repository (models/ stays within 16 MB); the
    # adapters library loads weights of any float dtype into the model's, as edgeclip does
    weights = {k: v.half() for k, v in model.lora_state(NAME, cfg).items()}
    safetensors_io.save(os.path.join(out, "adapter.safetensors"), weights)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", default=common.F32_DIR, help="the base model's HF folder")
    ap.add_argument("--out", default=common.ADAPTER_DIR)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--alpha", type=int, default=16)
    ap.add_argument("--hexagon-share", type=float, default=0.5)
    ap.add_argument("--eval", type=int, default=1000)
    a = ap.parse_args()
    common.setup()
    t0 = time.time()
    model = common.load_hf(a.base)
    tok = common.tokens(a.base)
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(a.seed)
    cfg = lora_config(a.r, a.alpha)
    model.add_lora(NAME, cfg)
    model.set_active_lora(NAME)
    params = [p for n, p in model.named_parameters() if ".loras." in n]
    print(f"LoRA r={a.r} alpha={a.alpha}: {sum(p.numel() for p in params)} parameters",
          flush=True)
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0)
    class_keys = [(c, s) for c in world.COLOURS for s in world.ALL_SHAPES]
    class_ids = [tok[data.DEFAULT_TEMPLATE.format(f"{c} {s}")] for c, s in class_keys]
    batches = data.Batches(a.seed, a.batch, a.steps,
                           ([world.HEXAGON], a.hexagon_share, world.BASE_SHAPES))
    run_loss = run_acc = 0.0
    t_log = time.time()
    for step, (imgs, scenes, caps) in enumerate(batches):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, a.warmup)
        loss, acc = clip_loss(model, imgs, scenes, caps, tok, class_keys, class_ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        run_loss += loss.item()
        run_acc += acc.item()
        if (step + 1) % 25 == 0:
            dt = time.time() - t_log
            print(f"step {step + 1}/{a.steps}  loss {run_loss / 25:.4f}  batch acc "
                  f"{run_acc / 25 * 100:.1f}%  {25 * a.batch / dt:.0f} img/s  "
                  f"{time.time() - t0:.0f} s", flush=True)
            run_loss = run_acc = 0.0
            t_log = time.time()
    batches.close()
    save_adapter(model, cfg, a.out)
    print(f"wrote {a.out} after {time.time() - t0:.0f} s", flush=True)
    if a.eval:
        L48 = world.labels(world.ALL_SHAPES)
        ids = common.label_ids(tok, L48)
        hexes, hex_scenes = common.eval_set(2001, a.eval // 2, [world.HEXAGON])
        base, base_scenes = common.eval_set(2002, a.eval, world.BASE_SHAPES)
        common.report("adapter, hexagons, 48 labels", common.classify(model, hexes, ids),
                      hex_scenes, L48)
        common.report("adapter, base shapes, 48 labels", common.classify(model, base, ids),
                      base_scenes, L48)
        model.set_active_lora(None)
        common.report("no adapter, hexagons, 48 labels", common.classify(model, hexes, ids),
                      hex_scenes, L48)
        common.report("no adapter, base shapes, 48 labels", common.classify(model, base, ids),
                      base_scenes, L48)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
