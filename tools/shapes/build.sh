#!/bin/sh
# `deno task shapes`: trains the shapes CLIP in five stages (each resumes the last; most of the
# shape accuracy comes while the rate decays, so each stage is one warmup and cosine decay): 1-3 on
# 2×2-averaged pixels with a falling batch and peak rate, 4 with the patch embedding at full size
# (small shapes need the detail), 5 with two more vision layers (started as the identity),
# converts it to the committed int8 and int4 packages with edgeclip's converter, then trains the hexagon
# adapter on it. Needs Python 3 with PyTorch and Pillow ($PYTHON, default python3); CPU only, fixed
# seeds. The f32 Hugging Face folder ends in .cache/shapes/clip-shapes-f32.
set -eu
cd "$(dirname "$0")/../.."
PY="${PYTHON:-python3}"
C=.cache/shapes
"$PY" tools/shapes/train.py --out "$C/stage1" --eval-every 250 --eval 500
"$PY" tools/shapes/train.py --resume "$C/stage1" --out "$C/stage2" --seed 12 --steps 2500 \
  --batch 64 --lr 3e-4 --warmup 100 --curriculum 0 --eval-every 500 --eval 500
"$PY" tools/shapes/train.py --resume "$C/stage2" --out "$C/stage3" --seed 13 --steps 2500 \
  --batch 64 --lr 1.5e-4 --warmup 50 --curriculum 0 --eval-every 500 --eval 500
"$PY" tools/shapes/train.py --resume "$C/stage3" --out "$C/stage4" --seed 14 --steps 2000 \
  --batch 64 --lr 1.5e-4 --warmup 50 --curriculum 0 --eval-every 500 --eval 500 --pool 1
"$PY" tools/shapes/train.py --resume "$C/stage4" --out "$C/clip-shapes-f32" --seed 15 --steps 8000 \
  --batch 64 --lr 2.5e-4 --warmup 200 --curriculum 0 --eval-every 1000 --eval 500 --grow-vision 2
deno run --allow-read --allow-write --allow-env src/cli/main.ts convert \
  --from "$C/clip-shapes-f32" --to models/shapes/clip-shapes-int8.safetensors
deno run --allow-read --allow-write --allow-env src/cli/main.ts convert \
  --from "$C/clip-shapes-f32" --to models/shapes/clip-shapes-int4.safetensors --dtype int4
"$PY" tools/shapes/train_adapter.py
