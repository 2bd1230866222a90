"""The shapes world (issue 11): 224×224 RGB images, each with one filled shape in one of eight
colours on a background far from it, saved as PNG or JPEG, with captions.

`sample(rng, …)` draws one scene, `render(scene)` returns its encoded bytes and the RGB array the
model sees after decoding. The training generator deliberately covers the ways another person may
read the description: "diameter" as circumscribed-circle diameter or as side/width, star and cross
proportions, equilateral or isosceles triangles, anti-aliased or aliased edges, noise on the whole
image or on the background only, PNG or JPEG (quality 80-95, 4:2:0, 4:2:2 or 4:4:4).

Also runnable: `python3 world.py OUT_DIR N SEED [--shapes base|hexagon|all] [--style train|canon]`
writes N images named `{index}_{colour}_{shape}.{png|jpg}`.
"""
import io
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

SIZE = 224
COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 170, 60),
    "blue": (30, 60, 220),
    "yellow": (240, 210, 30),
    "purple": (140, 50, 180),
    "orange": (250, 140, 20),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
}
BASE_SHAPES = ["circle", "square", "triangle", "star", "cross"]
HEXAGON = "hexagon"
ALL_SHAPES = BASE_SHAPES + [HEXAGON]
MIN_BG_DISTANCE = 160
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def labels(shapes=BASE_SHAPES):
    """ "red circle", … colour-major, as classify() is asked."""
    return [f"{c} {s}" for c in COLOURS for s in shapes]


# ---- geometry ---------------------------------------------------------------------------------

def regular(n, r, phase=0.0):
    return [(r * math.cos(phase + 2 * math.pi * k / n), r * math.sin(phase + 2 * math.pi * k / n))
            for k in range(n)]


def star(r, inner):
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * inner
        a = -math.pi / 2 + math.pi * k / 5
        pts.append((rr * math.cos(a), rr * math.sin(a)))
    return pts


def cross(extent, thick, long_arm=1.0):
    """A plus sign: two bars of width `thick`, the vertical one `long_arm` times longer below."""
    h, t = extent / 2, thick / 2
    down = h * long_arm
    return [(-t, -h), (t, -h), (t, -t), (h, -t), (h, t), (t, t), (t, down), (-t, down), (-t, t),
            (-h, t), (-h, -t), (-t, -t)]


def outline(shape, d, rng, style):
    """Vertices (centred near 0, unrotated) of a shape whose 'diameter' is d pixels; circles
    return None (drawn as an ellipse)."""
    if shape == "circle":
        return None
    # "diameter": the circumscribed circle's, or the side / width of the shape
    side_reading = style == "train" and rng.random() < 0.5
    if shape == "square":
        return regular(4, d / math.sqrt(2) if side_reading else d / 2, math.pi / 4)
    if shape == "triangle":
        u = rng.random() if style == "train" else 1.0
        if u < 0.2:  # isosceles: apex angle 35°-95°
            apex = math.radians(rng.uniform(35, 95))
            h = d * (0.8 if side_reading else 0.75)
            half = h * math.tan(apex / 2)
            half = min(half, d / 2 if side_reading else d * 0.55)
            return [(0, -h * 0.6), (half, h * 0.4), (-half, h * 0.4)]
        if u < 0.3:  # any triangle with angles ≥ 35° in the circle of diameter d
            while True:
                a = sorted(rng.uniform(0, 2 * math.pi, 3))
                arcs = [a[1] - a[0], a[2] - a[1], 2 * math.pi - a[2] + a[0]]
                if min(arcs) >= math.radians(70):  # inscribed angle = half the arc
                    return [(d / 2 * math.cos(t), d / 2 * math.sin(t)) for t in a]
        r = d / math.sqrt(3) if side_reading else d / 2
        return regular(3, r, -math.pi / 2)
    if shape == "star":
        if style == "train" and rng.random() < 0.1:
            # the pentagram {5/2} as 5 points: Pillow's even-odd fill leaves the centre empty
            p = regular(5, d / 2, -math.pi / 2)
            return [p[(2 * k) % 5] for k in range(5)]
        inner = rng.uniform(0.35, 0.55) if style == "train" else 0.382
        return star(d / 2, inner)
    if shape == "cross":
        thick = d * (rng.uniform(0.2, 0.4) if style == "train" else 1 / 3)
        long_arm = 1.0
        if style == "train" and rng.random() < 0.1:
            long_arm = rng.uniform(1.2, 1.6)
            d /= (1 + long_arm) / 2
        return cross(d, thick, long_arm)
    if shape == HEXAGON:
        # vertex-to-vertex, or side-to-side width
        r = d / math.sqrt(3) if side_reading else d / 2
        return regular(6, r)
    raise ValueError(shape)


def rotate(pts, a):
    c, s = math.cos(a), math.sin(a)
    return [(x * c - y * s, x * s + y * c) for x, y in pts]


# ---- scenes -----------------------------------------------------------------------------------

def background(rng, fg):
    while True:
        bg = rng.integers(0, 256, 3)
        if np.linalg.norm(bg - np.array(fg)) > MIN_BG_DISTANCE:
            return tuple(int(v) for v in bg)


def grey_background(rng, fg):
    """A dark or light grey, whichever is farther from the shape's colour."""
    dark, light = int(rng.integers(0, 60)), int(rng.integers(196, 256))
    d = [np.linalg.norm(np.array([g] * 3) - np.array(fg)) for g in (dark, light)]
    g = dark if d[0] > d[1] else light
    return (g, g, g)


def sample(rng, shapes=BASE_SHAPES, style="train"):
    """One scene as a dict (everything render() needs and the caption fields)."""
    colour = list(COLOURS)[rng.integers(len(COLOURS))]
    shape = shapes[rng.integers(len(shapes))]
    lo, hi = {"train": (0.22, 0.75), "canon": (0.25, 0.70), "easy": (0.35, 0.75)}[style]
    easy = style == "easy"
    if easy:  # a curriculum's first scenes: big, plain, high contrast, anti-aliased, PNG
        style = "train"
    while True:
        frac = rng.uniform(lo, hi)
        d = frac * SIZE
        pts = outline(shape, d, rng, style)
        if pts is None:
            xs = ys = (-d / 2, d / 2)
        else:
            pts = rotate(pts, rng.uniform(0, 2 * math.pi))
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        if w < SIZE - 2 and h < SIZE - 2:
            break
    cx = rng.uniform(1 - min(xs), SIZE - 1 - max(xs))
    cy = rng.uniform(1 - min(ys), SIZE - 1 - max(ys))
    fg = COLOURS[colour]
    noise = 0.0 if easy or rng.random() < 0.4 else rng.uniform(1, 13 if style == "train" else 12)
    fmt = "png" if easy or rng.random() < 0.45 else "jpeg"
    return {
        "colour": colour, "shape": shape, "frac": frac, "d": d,
        "pts": None if pts is None else [(x + cx, y + cy) for x, y in pts],
        "centre": (cx, cy), "fg": fg, "bg": grey_background(rng, fg) if easy else background(rng, fg),
        "aa": bool(easy or (style == "train" and rng.random() < 0.6)),
        "noise": noise,
        "noise_bg_only": bool(style == "train" and rng.random() < 0.3),
        "noise_mono": bool(style == "train" and rng.random() < 0.3),
        "noise_seed": int(rng.integers(2 ** 31)),
        "format": fmt,
        "quality": int(rng.integers(80, 96)),
        "subsampling": int(rng.choice([2, 2, 2, 2, 2, 1, 0])) if style == "train" else 2,
    }


def coverage(scene):
    """Shape coverage in [0, 1], [SIZE, SIZE] float32 (4×4 supersampled, or aliased)."""
    ss = 4 if scene["aa"] else 1
    m = Image.new("L", (SIZE * ss, SIZE * ss), 0)
    draw = ImageDraw.Draw(m)
    if scene["pts"] is None:
        cx, cy = scene["centre"]
        r = scene["d"] / 2
        draw.ellipse([(cx - r) * ss, (cy - r) * ss, (cx + r) * ss - 1, (cy + r) * ss - 1], fill=255)
    else:
        draw.polygon([(x * ss, y * ss) for x, y in scene["pts"]], fill=255)
    if ss > 1:
        m = m.resize((SIZE, SIZE), Image.BOX)
    return np.asarray(m, np.float32) / 255


_NOISE = []


def noise_field(seed):
    """A [SIZE, SIZE, 3] window of one fixed field of standard normal noise (drawing fresh noise
    per image costs more than the rest of the rendering)."""
    if not _NOISE:
        _NOISE.append(np.random.default_rng(20261211).standard_normal((4 * SIZE, 4 * SIZE, 3),
                                                                      np.float32))
    span = 3 * SIZE
    y, x = (seed // span) % span, seed % span
    return _NOISE[0][y:y + SIZE, x:x + SIZE]


def render(scene, encode=True):
    """(encoded bytes, decoded uint8 RGB [SIZE, SIZE, 3]) of a scene. encode=False skips the
    (lossless) PNG encoding and returns None for the bytes."""
    cov = coverage(scene)[..., None]
    fg, bg = np.array(scene["fg"], np.float32), np.array(scene["bg"], np.float32)
    img = bg + (fg - bg) * cov
    if scene["noise"] > 0:
        n = noise_field(scene["noise_seed"]) * np.float32(scene["noise"])
        if scene["noise_mono"]:
            n = n[..., :1]
        img += n * (1 - cov) if scene["noise_bg_only"] else n
    im = Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    if scene["format"] == "png":
        if not encode:
            return None, np.asarray(im)
        im.save(buf, "PNG")
        return buf.getvalue(), np.asarray(im)
    im.save(buf, "JPEG", quality=scene["quality"], subsampling=scene["subsampling"])
    data = buf.getvalue()
    return data, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def size_word(frac):
    return "small" if frac < 0.4 else "large" if frac > 0.55 else "medium-sized"


def main(argv):
    out, n, seed = argv[0], int(argv[1]), int(argv[2])
    shapes = BASE_SHAPES
    style = "train"
    if "--shapes" in argv:
        shapes = {"base": BASE_SHAPES, "hexagon": [HEXAGON], "all": ALL_SHAPES}[
            argv[argv.index("--shapes") + 1]]
    if "--style" in argv:
        style = argv[argv.index("--style") + 1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        s = sample(rng, shapes, style)
        data, _ = render(s)
        ext = "png" if s["format"] == "png" else "jpg"
        with open(os.path.join(out, f"{i:04d}_{s['colour']}_{s['shape']}.{ext}"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1:])
