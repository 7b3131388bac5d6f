"""Folding: the one comparison of names and titles without case, accents and punctuation."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bibkit.folding import fold, title_key


def _fold_by_definition(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


@given(st.text() | st.text(alphabet=st.characters(max_codepoint=127)))
def test_fold_is_casefold_then_decomposed_without_accents(text: str) -> None:
    assert fold(text) == _fold_by_definition(text)


def test_fold_examples() -> None:
    assert fold("Niccolò") == "niccolo"
    assert fold("GPT-NeoX") == "gpt-neox"
    assert fold("Straße") == "strasse"
    assert fold("ﬁne") == "fine"  # a compatibility ligature decomposes


def test_title_key_keeps_words_only() -> None:
    assert title_key("LEACE: Perfect linear concept erasure") == "leace perfect linear concept erasure"
    assert title_key("Élan  vital_2") == "elan vital 2"
