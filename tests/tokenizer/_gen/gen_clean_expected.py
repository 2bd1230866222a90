"""Expected outputs of the clean-up stages, computed by the reference (ftfy 6.3.1, CPython 3.11,
regex 2022.10.31): writes tests/tokenizer/fixtures/clean_expected.json.

    python3 tests/tokenizer/_gen/gen_clean_expected.py > tests/tokenizer/fixtures/clean_expected.json
"""
import ftfy, html, json, regex
from ftfy import fixes
import ftfy.badness
cases = {
 "fix_text": ["âœ” No problems", "&macr;\\_(ã\x83\x84)_/&macr;", "Broken text&hellip; it&#x2019;s ﬂubberiﬁc!",
   "ＬＯＵＤ　ＮＯＩＳＥＳ", "a &amp; b\n<c> &amp;\n&amp; d", "&amp; <\n&amp;", "Ã la mode", "voilÃ le travail", "sÃ³",
   "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.", "â€œ like this â€�", "\ufeffHello", "\x1b[36;44mI'm blue\x1b[0m",
   "Ã¼ber schÃ¶n", "ðŸ˜€ emoji mojibake", "What is this \x85 I don't even", "a\r\nb\rc\u2028d", "ｶﾀｶﾅ", "Ｕﾀｰﾝ",
   "P&EACUTE;REZ", "&ntilde; &Ntilde; &NTILDE; &nTILDE;", "this&not that", "&#65x;", "caf\u00e9 \u00e9", "e\u0301",
   "\ud83d\ude00", "a\ud83db", "\x80\x81\x9f", "Ã\x85ngstrÃ¶m", "l\u2019\u00e9t\u00e9", "\u0130stanbul",
   "EDUARDO CANO MOTTA PRESIDENTE DE LA FEDERACIÃ\x93N", "×\u00b2 Ãºnico", "Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"],
 "unescape": ["&amp", "&notit;", "&#0;", "&#128;", "&#xD800;", "&#x110000;", "&#11;", "&#65", "&#x41;",
   "&unknown;", "&amp;amp;", "&lt|endoftext|&gt;", "&#X1F600;", "&#00000000000000065;", "&copy2024", "&AMP;", "&Amp;"],
 "is_bad": ["café", "cafÃ©", "naïve", "Ã la", "×²", "â€", "doesnÃ¢â‚¬â„¢t", "© 2024", "Łódź", "ΟΔΟΣ", "√±"],
}
out = {
 "fix_text": [[t, ftfy.fix_text(t)] for t in cases["fix_text"]],
 "unescape": [[t, html.unescape(t)] for t in cases["unescape"]],
 "is_bad": [[t, ftfy.badness.is_bad(t)] for t in cases["is_bad"]],
 "ftfy_unescape": [[t, fixes.unescape_html(t)] for t in ["&lt;tag&gt;", "P&EACUTE;REZ", "BUNDESSTRA&SZLIG;E", "&ntilde; &Ntilde; &NTILDE; &nTILDE;", "&Jscr;ohn &HilbertSpace;ancock", "this&not that", "&#65x;", "&#x2019;", "&#0;", "&amp"]],
 "fix_encoding": [[t, ftfy.fix_encoding(t)] for t in ["sÃ³", "voilÃ le travail", "Ã³", "&ATILDE;&SUP3;", "â€œ like this â€�", "l'Ã©tÃ©", "\xed\xa0\xbd\xed\xb8\x80", "caf\xc3\xa9 ok"]],
 "whitespace": [[t, regex.sub(r"\s+", " ", t).strip()] for t in ["\x1ca b\x1c", "a\x1cb", "a\u180eb", "a\u200bb", "a\xa0\u3000b", "a\x85b", " \t\n a  b \r\n"]],
 "lower": [[t, t.lower()] for t in ["İstanbul", "ΟΔΟΣ", "ΑΣ Α", "Σ", "ΑΣ'Α", "\ua7cb", "ǅ", "ẞ", "Ω", "K"]],
}
print(json.dumps(out, ensure_ascii=True, indent=1))
