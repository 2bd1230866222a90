// Base64 both ways with the built-in Uint8Array.fromBase64/toBase64 where the runtime has them
// (Deno, recent V8), else through atob/btoa with the same rules (Node 20, older browsers).

/** The built-ins, where present. */
const native = Uint8Array as unknown as {
  fromBase64?: (s: string, o: { alphabet: string; lastChunkHandling: string }) => Uint8Array;
};

/**
 * Decodes standard or URL-safe base64 (by `alphabet`), ASCII whitespace ignored, padding
 * optional; throws a SyntaxError on any other character or an impossible length.
 */
export function base64Decode(text: string, alphabet: "base64" | "base64url"): Uint8Array {
  if (native.fromBase64) return native.fromBase64(text, { alphabet, lastChunkHandling: "loose" });
  return base64DecodePortable(text, alphabet);
}

/** base64Decode without the built-in (exported for tests). */
export function base64DecodePortable(text: string, alphabet: "base64" | "base64url"): Uint8Array {
  const foreign = alphabet === "base64url" ? /[+/]/ : /[-_]/;
  if (foreign.test(text)) throw new SyntaxError(`a character outside the ${alphabet} alphabet`);
  const std = alphabet === "base64url" ? text.replace(/-/g, "+").replace(/_/g, "/") : text;
  let s: string;
  try {
    s = atob(std);
  } catch (e) {
    throw new SyntaxError((e as Error).message);
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  const b = bytes as Uint8Array & { toBase64?: () => string };
  if (typeof b.toBase64 === "function") return b.toBase64();
  return base64EncodePortable(bytes);
}

/** base64Encode without the built-in (exported for tests). */
export function base64EncodePortable(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
