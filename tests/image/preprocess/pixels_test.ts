import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { imageFromPixels, isRawPixels, type RawPixels } from "../../../src/image/pixels.ts";

const code = (c: string) => (e: unknown) => e instanceof EdgeClipError && e.code === c;

Deno.test("raw pixels: channels from the length, no copy, Uint8ClampedArray accepted", () => {
  const rgba = new Uint8ClampedArray(2 * 3 * 4).map((_, i) => i);
  const a = imageFromPixels({ data: rgba, width: 2, height: 3 });
  deepStrictEqual([a.mode, a.width, a.height, a.format], ["RGBA", 2, 3, "RAW"]);
  ok(a.data instanceof Uint8Array && a.data.buffer === rgba.buffer);
  deepStrictEqual(Array.from(a.data), Array.from(rgba));
  const rgb = new Uint8Array(5 * 1 * 3);
  deepStrictEqual(imageFromPixels({ data: rgb, width: 5, height: 1 }).mode, "RGB");
  ok(isRawPixels({ data: rgb, width: 5, height: 1 }) && !isRawPixels(rgb) && !isRawPixels(null));
});

Deno.test("raw pixels: bad input is invalid_input, oversize is input_too_large", () => {
  const d = new Uint8Array(12);
  throws(() => imageFromPixels({ data: d, width: 2, height: 3 }), code("invalid_input")); // 2 B/px
  throws(() => imageFromPixels({ data: d, width: 0, height: 3 }), code("invalid_input"));
  throws(() => imageFromPixels({ data: d, width: 1.5, height: 2 }), code("invalid_input"));
  throws(() => imageFromPixels({ data: d, width: -1, height: -4 }), code("invalid_input"));
  throws(
    () => imageFromPixels({ data: [1, 2, 3] as unknown as Uint8Array, width: 1, height: 1 }),
    code("invalid_input"),
  );
  throws(
    () =>
      imageFromPixels({ data: new Float32Array(3) as unknown as Uint8Array, width: 1, height: 1 }),
    code("invalid_input"),
  );
  throws(
    () => imageFromPixels({ data: d, width: "2", height: 2 } as unknown as RawPixels),
    code("invalid_input"),
  );
  throws(
    () => imageFromPixels({ data: d, width: 2, height: 2 }, { maxPixels: 3 }),
    code("input_too_large"),
  );
  // the size check comes before looking at the bytes, so a huge claimed size never allocates
  throws(
    () => imageFromPixels({ data: d, width: 100000, height: 100000 }),
    code("input_too_large"),
  );
});
