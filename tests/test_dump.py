"""bibkit's YAML writer: every value it writes reads back as itself, with PyYAML and with
bibkit's loader, and it writes what PyYAML's emitter writes where the two agree on a style."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from bibkit import dump
from bibkit.loader import load_library, load_text

from conftest import RECORDS

# Any text a record may hold (no lone surrogates: record files are UTF-8), with YAML's indicators,
# line breaks of every kind and look-alikes of numbers, booleans, dates and nulls made likely.
TRICKY = st.sampled_from(["", " ", "-", ": ", " #", "'", '"', "\n", "\r\n", "\t", "\x85", "\u2028", "\ufeff",
                          "\x7f", "\x00", "yes", "No", "~", "null", "1e3", "0x1F", "2020-01-01", "12:30", "<<",
                          "=", "---", "...", "[a]", "{b}", "&x", "*y", "!t", "%", "@", "`", "|", ">", "?", ","])
TEXT = st.lists(st.one_of(TRICKY, st.text(st.characters(exclude_categories=["Cs"]), max_size=8)),
                max_size=5).map("".join)
SCALARS = st.one_of(TEXT, st.lists(st.one_of(TEXT, st.dictionaries(TEXT, TEXT, min_size=1, max_size=3)),
                                   min_size=1, max_size=3))
DATA = st.dictionaries(TEXT, st.one_of(SCALARS, st.dictionaries(TEXT, SCALARS, min_size=1, max_size=3)),
                       min_size=1, max_size=5)


@given(DATA)
def test_what_is_written_reads_back(data: dict[str, Any]) -> None:
    assert yaml.safe_load(dump.dump_yaml(data)) == data


@given(TEXT)
def test_a_scalar_reads_back(text: str) -> None:
    assert yaml.safe_load("k: " + dump.scalar(text)) == {"k": text}


def test_plain_where_nothing_means_anything_to_yaml() -> None:
    assert dump.scalar("Attention Is All You Need") == "Attention Is All You Need"
    assert dump.scalar("2023-07") == "2023-07"  # not a YAML date: no quotes
    assert dump.scalar("2023-07-01") == "'2023-07-01'"  # a date to YAML
    assert dump.scalar("202") == "'202'"
    assert dump.scalar("yes") == "'yes'"
    assert dump.scalar("Pythia: A Suite") == "'Pythia: A Suite'"
    assert dump.scalar("it's") == "it's"
    assert dump.scalar("a\nb") == '"a\\nb"'
    assert dump.scalar("a\u2028b") == '"a\\u2028b"'


def test_the_shipped_records_are_written_as_pyyaml_writes_them() -> None:
    """Where PyYAML's choice of style is bibkit's too, the text is the same to the byte."""
    def pyyaml(data: dict[str, Any]) -> str:
        return yaml.dump(data, Dumper=dump._Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
                         default_flow_style=False)

    records = load_library([RECORDS]).records
    assert len(records) > 30
    for r in records:
        data = dump.record_data(r)
        assert dump.dump_yaml(data) == pyyaml(data), r.key


def test_bibkit_reads_back_every_shipped_record_as_written() -> None:
    for r in load_library([RECORDS]).records:
        again = load_text(Path(f"{r.key}.yaml"), dump.dump_record(r).encode("utf-8"))
        assert again.record == r, r.key


def test_what_only_pyyaml_writes_still_comes_out() -> None:
    """Numbers, booleans and empty lists (an `extra` field may hold them) go to PyYAML."""
    data = {"title": "T", "extra": {"count": 3, "flag": True, "none": [], "n": None}}
    assert yaml.safe_load(dump.dump_yaml(data)) == data
