#!/bin/sh
# `deno task shapes`: trains the shapes CLIP in three stages (each resumes the last with a smaller
# batch and a lower peak learning rate: most of the shape accuracy comes while the rate decays),
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
"$PY" tools/shapes/train.py --resume "$C/stage2" --out "$C/clip-shapes-f32" --seed 13 --steps 2500 \
  --batch 64 --lr 1.5e-4 --warmup 50 --curriculum 0 --eval-every 500 --eval 500
deno run --allow-read --allow-write --allow-env src/cli/main.ts convert \
  --from "$C/clip-shapes-f32" --to models/shapes/clip-shapes-int8.safetensors
deno run --allow-read --allow-write --allow-env src/cli/main.ts convert \
  --from "$C/clip-shapes-f32" --to models/shapes/clip-shapes-int4.safetensors --dtype int4
"$PY" tools/shapes/train_adapter.py
