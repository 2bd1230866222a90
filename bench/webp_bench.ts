// WebP decoding speed (src/image/webp/mod.ts).
//   deno bench --allow-read --allow-env bench/webp_bench.ts
// Inputs: the golden 300×200 lossy file ($CLIP_GOLDEN_DIR/images), the largest committed
// fixtures, and every *.webp in $WEBP_BENCH_DIR (default /tmp/edgeclip_webp_bench), e.g. the
// 300×200 lossless and 1024×768 lossy/lossless files this writes (Pillow 9.4 / libwebp 1.2.4):
//   mkdir -p /tmp/edgeclip_webp_bench && /usr/bin/python3 -c "
//   from PIL import Image; import numpy as np; d='/tmp/edgeclip_webp_bench/'
//   s=Image.open('../shared/golden/images/webp_lossy_300x200.webp').convert('RGB')
//   s.save(d+'lossless_300x200.webp', lossless=True)
//   b=np.asarray(s.resize((1024,768), Image.BICUBIC)).astype(int)
//   b=Image.fromarray(np.clip(b+np.random.default_rng(1).integers(-8,9,b.shape),0,255).astype('uint8'))
//   b.save(d+'lossy_q80_1024x768.webp', quality=80); b.save(d+'lossless_1024x768.webp', lossless=True)"
// Groups compare the whole decode with its stages on the same file: for lossy, the VP8
// reconstruction (with loop filter) alone, so the rest is upsampling and colour conversion.

import { goldenPath } from "../tests/_util/golden.ts";
import { decodeWebp } from "../src/image/webp/mod.ts";
import { decodeVp8 } from "../src/image/webp/lossy/decode.ts";
import { parseContainer } from "../src/image/webp/riff.ts";

const limits = { maxPixels: 1 << 30 };
const inputs: { name: string; bytes: Uint8Array }[] = [];

const golden = goldenPath("images", "webp_lossy_300x200.webp");
if (golden) inputs.push({ name: "golden lossy q80 300x200", bytes: Deno.readFileSync(golden) });
for (const f of ["lossless_photo_64x48.webp", "lossy_q80_33x65.webp"]) {
  const url = new URL(`../tests/image/webp/fixtures/${f}`, import.meta.url);
  inputs.push({ name: `fixture ${f}`, bytes: Deno.readFileSync(url) });
}
const extraDir = Deno.env.get("WEBP_BENCH_DIR") ?? "/tmp/edgeclip_webp_bench";
try {
  for (const e of [...Deno.readDirSync(extraDir)].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isFile && e.name.endsWith(".webp")) {
      inputs.push({ name: e.name, bytes: Deno.readFileSync(`${extraDir}/${e.name}`) });
    }
  }
} catch {
  console.warn(`no extra inputs: ${extraDir} is absent (see the header of this file)`);
}

for (const { name, bytes } of inputs) {
  const img = decodeWebp(bytes, limits);
  const group = `${name} (${img.mode} ${img.width}x${img.height}, ${bytes.length} B)`;
  Deno.bench({
    name: "decodeWebp",
    group,
    baseline: true,
    fn: () => void decodeWebp(bytes, limits),
  });
  const c = parseContainer(bytes);
  if (!c.frame.lossless) {
    Deno.bench({
      name: "VP8 reconstruction + loop filter only",
      group,
      fn: () => void decodeVp8(c.frame.image, () => {}),
    });
  }
}
