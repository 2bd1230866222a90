"""Training batches for the shapes CLIP: generated images with captions, their token ids (made by
edgeclip's own tokenizer, tools/shapes/tokens.ts) and which captions describe which image."""
import json
import multiprocessing
import os
import subprocess

import numpy as np
import torch

import world

# (template, weight). {label} = "<colour> <shape>", {size} = a size word true of the image.
# The default classify template "a photo of a {}." and the bare label carry the most weight.
TEMPLATES = [
    ("{label}", 4),
    ("a photo of a {label}.", 8),
    ("a drawing of a {size} {label}.", 2),
    ("a drawing of a {label}.", 2),
    ("a {label}.", 2),
    ("a picture of a {label}.", 1),
    ("an image of a {label}.", 1),
    ("a photo of a {size} {label}.", 1),
    ("a {size} {label}.", 1),
    ("a {label} on a coloured background.", 1),
    ("a rendering of a {label}.", 1),
    ("a photo of the {label}.", 1),
    ("a {label} shape.", 1),
    ("a simple {label}.", 1),
]
SIZE_WORDS = {"small": ["small", "little"], "medium-sized": ["medium-sized", "medium"],
              "large": ["large", "big"]}
WORD_SIZE = {w: k for k, ws in SIZE_WORDS.items() for w in ws}
DEFAULT_TEMPLATE = "a photo of a {}."


def caption(template, colour, shape, size_word=None):
    return template.format(label=f"{colour} {shape}", size=size_word or "")


def all_captions(shapes):
    out = []
    for t, _ in TEMPLATES:
        for c in world.COLOURS:
            for s in shapes:
                words = [w for ws in SIZE_WORDS.values() for w in ws] if "{size}" in t else [None]
                out += [caption(t, c, s, w) for w in words]
    return out


def tokenize_all(captions, bpe_dir, cache_dir):
    """caption → ids, via `deno run tools/shapes/tokens.ts` (edgeclip's tokenizer)."""
    os.makedirs(cache_dir, exist_ok=True)
    src, out = os.path.join(cache_dir, "captions.txt"), os.path.join(cache_dir, "tokens.json")
    with open(src, "w") as f:
        f.write("\n".join(captions) + "\n")
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["deno", "run", "--allow-read", f"--allow-write={cache_dir}",
                    os.path.join(here, "tokens.ts"), bpe_dir, src, out], check=True)
    with open(out) as f:
        return json.load(f)


def pad(rows):
    """Rows of ids → int64 [N, max len] padded with 0 (OpenAI's pad; ignored under the causal
    mask since every row is pooled at its EOS)."""
    n = max(len(r) for r in rows)
    out = torch.zeros(len(rows), n, dtype=torch.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = torch.tensor(r)
    return out


def render_batch(args):
    """Worker: the scenes and decoded uint8 images of one batch (seeded by (seed, step))."""
    seed, step, size, mix, easy = args
    rng = np.random.default_rng([seed, step])
    scenes, imgs = [], np.empty((size, world.SIZE, world.SIZE, 3), np.uint8)
    for i in range(size):
        shapes = mix[0] if rng.random() < mix[1] else mix[2]
        s = world.sample(rng, shapes, "easy" if rng.random() < easy else "train")
        imgs[i] = world.render(s, encode=False)[1]
        s.pop("pts")
        scenes.append(s)
    t_rng = np.random.default_rng([seed, step, 1])
    caps = []
    for s in scenes:
        t = TEMPLATES[t_rng.choice(len(TEMPLATES), p=TEMPLATE_P)][0]
        word = None
        if "{size}" in t:
            ws = SIZE_WORDS[world.size_word(s["frac"])]
            word = ws[t_rng.integers(len(ws))]
        caps.append((caption(t, s["colour"], s["shape"], word), word))
    return imgs, scenes, caps


TEMPLATE_P = np.array([w for _, w in TEMPLATES], np.float64)
TEMPLATE_P /= TEMPLATE_P.sum()


def pixels(imgs):
    """uint8 [B, H, W, 3] → CLIP-normalised float32 [B, 3, H, W] (edgeclip's openai pipeline)."""
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    mean = torch.tensor(world.CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(world.CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


# For training: raw 0-255 pixels (channels-last view, no copy) and the per-channel affine map
# that CLIP's normalisation is, (x/255 − mean)/std = a·x + b, which the model folds into its patch
# embedding (same function up to float rounding, without a pass over the batch).
NORM_AFFINE = (torch.tensor(1 / (255 * world.CLIP_STD)),
               torch.tensor(-world.CLIP_MEAN / world.CLIP_STD))


def raw_pixels(imgs):
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).float()


def dihedral(imgs, k):
    """One of the 8 rotations/reflections of a uint8 batch [B, H, W, 3] (labels unchanged: every
    shape class is closed under them, and the grid of 32-pixel patches maps onto itself)."""
    out = np.rot90(imgs, k % 4, axes=(1, 2))
    return np.ascontiguousarray(out[:, :, ::-1] if k >= 4 else out)


class Batches:
    """Ordered, seeded batches, rendered two steps ahead in one worker process. Each rendered
    batch is used `reuse` times, under different dihedral transforms, its uses `reuse` steps apart
    (rendering costs about as much CPU as a training step of the small model).
    mix = (shapes A, probability of A, shapes B)."""

    def __init__(self, seed, size, steps, mix, reuse=2, ahead=2, curriculum=0):
        self.pool = multiprocessing.get_context("fork").Pool(1)
        # share of easy scenes in render r: 1 − r / curriculum, down to 0
        self.curriculum = curriculum
        self.seed, self.size, self.steps, self.mix = seed, size, steps, mix
        self.reuse, self.ahead = reuse, ahead

    def plan(self):
        """(render index, use index) of each step: r0, r1, r0', r2, r1', … for reuse 2."""
        out, r = [], 0
        while len(out) < self.steps:
            for u in range(self.reuse):
                if r - u * 2 >= 0:
                    out.append((r - u * 2, u))
            r += 1
        return out[:self.steps]

    def __iter__(self):
        plan = self.plan()
        renders = sorted({r for r, _ in plan})
        jobs, done = {}, {}
        last_use = {r: max(i for i, (q, _) in enumerate(plan) if q == r) for r in renders}
        feed = iter(renders)

        def submit():
            r = next(feed, None)
            if r is not None:
                easy = max(0.0, 1 - r / self.curriculum) if self.curriculum else 0.0
                jobs[r] = self.pool.apply_async(
                    render_batch, ((self.seed, r, self.size, self.mix, easy),))
        for _ in range(self.ahead):
            submit()
        for i, (r, u) in enumerate(plan):
            while r not in done:
                q = min(jobs)
                done[q] = jobs.pop(q).get()
                submit()
            imgs, scenes, caps = done[r]
            if i == last_use[r]:
                del done[r]
            rng = np.random.default_rng([self.seed, r, u, 2])
            yield dihedral(imgs, int(rng.integers(8)) if u else 0), scenes, caps

    def close(self):
        self.pool.terminate()


def targets(scenes, caps, class_keys):
    """Positive mask [B, B + len(class_keys)]: caption j (batch captions, then the default-template
    class captions) is true of image i when colour and shape match and its size word, if any,
    fits the image."""
    B = len(scenes)
    pos = torch.zeros(B, B + len(class_keys), dtype=torch.bool)
    for i, s in enumerate(scenes):
        size = world.size_word(s["frac"])
        for j, (c2, (_, word)) in enumerate(zip(scenes, caps)):
            if (c2["colour"], c2["shape"]) == (s["colour"], s["shape"]) and (
                    word is None or WORD_SIZE[word] == size):
                pos[i, j] = True
        pos[i, B + class_keys.index((s["colour"], s["shape"]))] = True
    return pos


def multi_positive_loss(logits, pos):
    """−log Σ_{positives} softmax(logits) per row, averaged over rows with a positive."""
    keep = pos.any(dim=1)
    logits, pos = logits[keep], pos[keep]
    lse_all = torch.logsumexp(logits, dim=1)
    lse_pos = torch.logsumexp(logits.masked_fill(~pos, float("-inf")), dim=1)
    return (lse_all - lse_pos).mean()
