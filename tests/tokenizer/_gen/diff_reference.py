"""Differential check against the Python reference (development tool, not run in CI).

Writes random strings of the golden categories, with what OpenAI's tokenizer makes of them, to a
JSON file that tests/tokenizer/_gen/diff_check.ts compares with src/tokenizer:

    python3 tests/tokenizer/_gen/diff_reference.py OUT.json [N] [SEED]
    deno run --allow-read tests/tokenizer/_gen/diff_check.ts OUT.json

Needs the reference environment of the golden fixtures (ftfy 6.3.1, regex 2022.10.31, CPython
3.11 with unicodedata 14.0.0). The tokenizer here is a small re-statement of OpenAI's
SimpleTokenizer over vocab.json + merges.txt; its text steps call ftfy, html and regex directly.
"""

import html
import html.entities
import json
import os
import random
import sys

import ftfy
import ftfy.badness
import ftfy.chardata
import regex

HERE = os.path.dirname(os.path.abspath(__file__))
BPE_DIR = os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "clip-bpe")

PAT = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


class Ref:
    def __init__(self):
        self.encoder = json.load(open(os.path.join(BPE_DIR, "vocab.json"), encoding="utf-8"))
        self.decoder = {v: k for k, v in self.encoder.items()}
        lines = open(os.path.join(BPE_DIR, "merges.txt"), encoding="utf-8").read().strip().split("\n")
        merges = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
        self.ranks = dict(zip(merges, range(len(merges))))
        self.be = bytes_to_unicode()
        self.bd = {v: k for k, v in self.be.items()}

    def normalize(self, text):
        text = ftfy.fix_text(text)
        text = html.unescape(html.unescape(text))
        text = text.strip()
        text = regex.sub(r"\s+", " ", text).strip()
        return text.lower()

    def bpe(self, token):
        if token in ("<|startoftext|>", "<|endoftext|>"):
            return [token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text):
        norm = self.normalize(text)
        pieces = PAT.findall(norm)
        ids = []
        for p in pieces:
            tok = "".join(self.be[b] for b in p.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(tok))
        return norm, pieces, ids

    def decode(self, ids):
        text = "".join(self.decoder[i] for i in ids)
        return bytearray(self.bd[c] for c in text).decode("utf-8", errors="replace").replace("</w>", " ")


# ---------------------------------------------------------------- generators

WORDS = ("photo cat dog café naïve Ångström São Paulo straße über schön résumé jalapeño "
         "Łódź Ελληνικά кошка фото 東京 タワー 猫 😀 🐱 👍 “quoted” ‘single’ — – … € £ ¥ © ® ™ "
         "½ ² ° × ÷ µ ß Æ œ ĳ ﬁ ǅ Ω ω Σ ΟΔΟΣ İstanbul ı ſ K Å ħ ŉ ᾳ ﬀ a the of and in").split()
PAGES = ["latin-1", "windows-1252", "windows-1251", "windows-1250", "windows-1253",
         "windows-1254", "windows-1257", "iso-8859-2", "mac_roman", "cp437"]
SPACES = list("\t\n\r\x0b\x0c \x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"
              "\x1c\x1d\x1e\x1f\u200b\u2060\ufeff\u180e")
CONTROLS = [chr(c) for c in list(range(0, 32)) + list(range(0x7f, 0xa0))] + list(
    "\u200e\u200f\u202a\u202e\u206a\u206f\ufff9\ufffc\ufffd\u00ad\ue000\U000e0001")
POOL = (list("abcxyzABCXYZ0123456789 .,;:!?'\"`-_/\\|<>&#;()[]{}@$%^*+=~") + SPACES + CONTROLS
        + list("àéîõüÀÉÎÕÜçñßÆØåÿ¡¿«»ªº°±²³µ¶·¹¼½¾×÷") + list("ΑΣΩαςσωἀᾳ")
        + list("АБВЯабвяёЁ") + list("ｶﾀｶﾅﾞﾟＡＢＣａｂｃ０１２！＂＃￥") + list("\u0300\u0301\u0308\u0345\u0327")
        + list("İıſKÅ") + list("“”‘’‚„‛‟ʼ") + list("ﬀﬁﬂﬃﬄﬅﬆĲĳǄǅǆǇǈǉǊǋǌŉ")
        + list("😀🐱👨\u200d👩🇺🇸\ufe0f⃣") + list("一二三四५٣৩๓") + list("Ⅻⅻ①⑴")
        + ["\x1b[31m", "\x1b[0m", "\x1b[1;32m", "\x1b["])
ENTITY_NAMES = sorted(html.entities.html5)


def mojibake(rng):
    words = rng.sample(WORDS, rng.randint(1, 5))
    text = " ".join(words)
    page = rng.choice(PAGES)
    data = text.encode("utf-8")
    try:
        out = data.decode(page)
    except UnicodeDecodeError:
        out = data.decode(page, errors="replace")
    r = rng.random()
    if r < 0.2:
        out = out.replace("\xa0", " ")
    elif r < 0.3:
        out = out.replace("\ufffd", "?")
    elif r < 0.4:  # twice
        try:
            out = out.encode("utf-8").decode(rng.choice(["latin-1", "windows-1252"]), errors="replace")
        except UnicodeError:
            pass
    if rng.random() < 0.5:
        out = rng.choice(["The ", "a ", "", "ok: ", "«", "x"]) + out + rng.choice([".", " end", "", "!", "\n"])
    if rng.random() < 0.3:  # mix with clean text
        out = out + " " + rng.choice(WORDS)
    return out


def entity(rng):
    r = rng.random()
    if r < 0.4:
        name = rng.choice(ENTITY_NAMES)
        s = "&" + name
        if rng.random() < 0.2:
            s = s.upper()
        return s
    if r < 0.7:
        n = rng.choice([0, 9, 10, 13, 28, 65, 128, 133, 150, 159, 160, 233, 0x2019, 0xD800, 0xDFFF,
                        0xFFFE, 0x1F600, 0x10FFFF, 0x110000, 0xFDD0, 11, 127, rng.randint(0, 0x2FFFF)])
        body = (("x" if rng.random() < 0.5 else "X") + format(n, "x")) if rng.random() < 0.5 else str(n)
        return "&#" + body + (";" if rng.random() < 0.8 else rng.choice(["", " ", "x"]))
    return "&" + rng.choice(["amp", "lt", "gt", "quot", "nbsp", "copy", "not", "notit", "noti",
                              "ampx", "AMP", "LT", "unknown", "eacute", "EACUTE", "amp;amp",
                              "amp;amp;amp", "#", "#x", "SZLIG", "nTILDE", "NTILDE"]) + rng.choice(
        [";", "", " ", ";;", "x;"])


def html_text(rng):
    parts = []
    for _ in range(rng.randint(1, 5)):
        r = rng.random()
        if r < 0.5:
            parts.append(entity(rng))
        elif r < 0.6:
            parts.append(rng.choice(["<b>", "</b>", "<", ">", "<br/>"]))
        elif r < 0.7:
            parts.append("\n")
        else:
            parts.append(rng.choice(WORDS))
        if rng.random() < 0.5:
            parts.append(" ")
    return "".join(parts)


def random_chars(rng):
    return "".join(rng.choice(POOL) for _ in range(rng.randint(0, 24)))


def literal(rng):
    base = rng.choice(["<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"])
    chars = []
    for ch in base:
        r = rng.random()
        if ch == "s" and r < 0.3:
            chars.append("ſ")
        elif r < 0.2:
            chars.append(ch.upper())
        else:
            chars.append(ch)
    s = "".join(chars)
    return rng.choice(["", "a", "x ", "!!", "&lt;", "'"]) + s + rng.choice(["", "up", " b", "!!", "s"])


def long_text(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 120)))


def random_codepoints(rng):
    out = []
    for _ in range(rng.randint(0, 12)):
        r = rng.random()
        if r < 0.3:
            cp = rng.randint(0x80, 0x3000)
        elif r < 0.5:
            cp = rng.randint(0x3000, 0xFFFF)
        elif r < 0.8:
            cp = rng.randint(0x10000, 0x3FFFF)
        else:
            cp = rng.randint(0, 0x10FFFF)
        if 0xD800 <= cp <= 0xDFFF:
            cp = 0x41
        out.append(chr(cp))
        if rng.random() < 0.3:
            out.append(" ")
    return "".join(out)


def decomposed(rng):
    import unicodedata
    text = " ".join(rng.sample(WORDS, rng.randint(1, 4)))
    form = rng.choice(["NFD", "NFKD", "NFC", "NFKC"])
    text = unicodedata.normalize(form, text)
    if rng.random() < 0.3:
        text = text + "\u1100\u1161\u11a8 \u0041\u030a\u0301 \u0345"
    return text


GENS = [mojibake, mojibake, mojibake, html_text, html_text, random_chars, random_chars,
        random_chars, literal, long_text, random_codepoints, random_codepoints, decomposed]


def main():
    out_path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    ref = Ref()
    cases = []
    for i in range(n):
        gen = GENS[i % len(GENS)]
        text = gen(rng)
        try:
            norm, pieces, ids = ref.encode(text)
        except Exception as e:  # the reference itself fails (e.g. huge numeric reference)
            print("reference raised on", repr(text), e, file=sys.stderr)
            continue
        rand_ids = [rng.randrange(49408) for _ in range(rng.randint(0, 6))]
        cases.append({
            "gen": gen.__name__,
            "text": text,
            "fix_text": ftfy.fix_text(text),
            "is_bad": ftfy.badness.is_bad(text),
            "unescape": html.unescape(text),
            "normalized": norm,
            "pieces": pieces,
            "ids": ids,
            "rand_ids": rand_ids,
            "rand_decoded": ref.decode(rand_ids),
        })
    tables = {
        "ftfy_entities": ftfy.chardata.HTML_ENTITIES,
        "mojibake": {k: sorted(set(expand(v))) for k, v in ftfy.badness.MOJIBAKE_CATEGORIES.items()},
        "clues": {k: sorted(set(expand(v))) for k, v in ftfy.chardata.UTF8_CLUES.items()},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"cases": cases, "tables": tables}, f, ensure_ascii=True)
    print(f"wrote {len(cases)} cases to {out_path}")


def expand(s):
    out, i = [], 0
    while i < len(s):
        if i + 2 < len(s) and s[i + 1] == "-":
            out.extend(range(ord(s[i]), ord(s[i + 2]) + 1))
            i += 3
        else:
            out.append(ord(s[i]))
            i += 1
    return out


if __name__ == "__main__":
    main()
