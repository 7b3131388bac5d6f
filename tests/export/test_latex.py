from __future__ import annotations

import codecs
from collections.abc import Callable

import latexcodec  # noqa: F401  (registers the "ulatex" codec)
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bibkit.latex import decode_latex, escape, protect_title, unescape


@pytest.mark.parametrize(("title", "expected"), [
    ("BLOOM: A 176B-Parameter Open-Access Multilingual Language Model",
     "{BLOOM}: A {176B}-Parameter Open-Access Multilingual Language Model"),
    ("Pythia: A Suite for Analyzing Large Language Models Across Training and Scaling",
     "{Pythia}: A Suite for Analyzing Large Language Models Across Training and Scaling"),
    ("YaRN: Efficient Context Window Extension of Large Language Models",
     "{YaRN}: Efficient Context Window Extension of Large Language Models"),
    ("A Technical Report for Polyglot-Ko: Open-Source Large-Scale Korean Language Models",
     "A Technical Report for Polyglot-{Ko}: Open-Source Large-Scale {Korean} Language Models"),
    ("LEACE: Perfect linear concept erasure in closed form",
     "{LEACE}: Perfect linear concept erasure in closed form"),
    ("RoentGen: Vision-Language Foundation Model for Chest X-ray Generation",
     "{RoentGen}: Vision-Language Foundation Model for Chest {X}-ray Generation"),
    ("Beyond the Imitation Game: Quantifying and extrapolating the capabilities of language models",
     "Beyond the {Imitation} {Game}: Quantifying and extrapolating the capabilities of language models"),
    ("Interpreting CLIP's Image Representation via Text-Based Decomposition",
     "Interpreting {CLIP's} Image Representation via Text-Based Decomposition"),
    ("GPT-4 and LLaMA", "{GPT}-4 and {LLaMA}"),
])
def test_protects_words_not_titles(title: str, expected: str) -> None:
    assert protect_title(title) == expected


def test_escape_specials() -> None:
    assert escape(r"50% of $x_1$ & #2 ~ ^ \ {}") == (
        r"50\% of \$x\_1\$ \& \#2 \textasciitilde{} \textasciicircum{} \textbackslash{} "
        r"\textbraceleft{}\textbraceright{}")


def test_escape_neutralises_commands() -> None:
    assert escape(r"\input{/etc/passwd}") == (
        r"\textbackslash{}input\textbraceleft{}/etc/passwd\textbraceright{}")


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


# What TeX's fonts join into one character (T1 encoding: dashes, quotes, guillemets, ¡ and ¿).
_LIGATURES = ("--", "``", "''", ",,", "<<", ">>", "!`", "?`")


@given(st.text(st.one_of(st.sampled_from(list("-`',<>!?{}\\ ")), st.characters())))
def test_escaped_text_has_balanced_braces_and_no_live_specials_or_ligatures(text: str) -> None:
    for out in (escape(text), protect_title(text)):
        assert _balanced(out)
        stripped = out.replace(r"\%", "").replace(r"\&", "").replace(r"\#", "").replace(r"\$", "")
        assert not any(c in stripped for c in "%&#$")
        assert not any(pair in out for pair in _LIGATURES)
    assert unescape(escape(text)) == " ".join(text.replace("\xa0", " ").split())


# Pieces of LaTeX whose reading depends on what stands around them: commands that swallow the
# blanks after them or take the next character, the one table entry with a blank (" \\par"),
# comments, line breaks, math, ligatures, and a backslash at the end.
_LATEX_PIECES = [" ", "  ", "\t", "\n", " \n ", "%", "\\", "\\\\", "\\ ", "\\par", "\\v", "\\c", "\\'", '\\"', "\\ss",
                 "\\emph", "{", "}", "$", "$-$", "-", "--", "---", "`", "``", "'", "''", ",", ",,", "!", "?", "~",
                 "#", "#1", "D", "d", "Z", "e", "a", "o", "word"]


def _latex_or_error(decode: Callable[[str], str], text: str) -> str:
    try:
        return " ".join(decode(text).split())
    except (UnicodeDecodeError, ValueError, IndexError) as exc:
        return f"raises {type(exc).__name__}"


@settings(max_examples=2000)
@example(",\\' \n {\\emph x}")  # the line break and the blanks after it are swallowed by \'
@given(st.lists(st.one_of(st.sampled_from(_LATEX_PIECES), st.characters()), max_size=30).map("".join))
def test_decoding_latex_piece_by_piece_reads_as_latexcodec_reads_the_whole(text: str) -> None:
    def whole(t: str) -> str:
        return str(codecs.decode(t, "ulatex"))  # type: ignore[call-overload]

    assert _latex_or_error(decode_latex, text) == _latex_or_error(whole, text)


def test_page_ranges_keep_the_dash_ligature() -> None:
    assert escape("12--34", ligatures=True) == "12--34"
    assert escape("a---b") == "a-{}-{}-b"


@pytest.mark.parametrize(("latex", "text"), [
    (r"d\textquotesingle Alch{\'e}-Buc", "d'Alché-Buc"),  # an apostrophe joins: TeX's spacing
    (r"\textquotedbl{}Quoted\textquotedbl", '"Quoted"'),
    (r"5\texttimes{}3 \textonehalf", "5×3 ½"),
    (r"\euro{}5 and 10\textperthousand", "€5 and 10‰"),
    (r"\textmu{}m, \textsection{}2, \textdagger", "µm, §2, †"),
    (r"a\textunderscore{}b costs \textdollar 5", "a_b costs $ 5"),
    (r"\quotedblbase Zitat\textquotedblleft", "„Zitat“"),
    (r"\TeX Users", "TeX Users"),  # a word after a word stays a word
])
def test_textcomp_symbols_are_read_as_the_characters_they_print(latex: str, text: str) -> None:
    assert unescape(latex) == text
