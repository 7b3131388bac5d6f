from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bibkit.model import ArxivId, Date, Doi, Person


@pytest.mark.parametrize(("text", "base", "version"), [
    ("2303.08112", "2303.08112", None),
    ("2303.08112v2", "2303.08112", 2),
    ("arXiv:2303.08112", "2303.08112", None),
    ("https://arxiv.org/abs/2303.08112", "2303.08112", None),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("math.AG/0601001v3", "math.AG/0601001", 3),
    ("0704.0001", "0704.0001", None),
])
def test_arxiv_ids(text: str, base: str, version: int | None) -> None:
    aid = ArxivId.parse(text)
    assert (aid.base, aid.version) == (base, version)


@pytest.mark.parametrize("text", ["2313.08112", "2303.081", "hep-th/99010", "2303.08112v0", "abc", ""])
def test_bad_arxiv_ids(text: str) -> None:
    with pytest.raises(ValueError):
        ArxivId.parse(text)


def test_arxiv_month() -> None:
    assert ArxivId.parse("hep-th/9901001").year_month == (1999, 1)
    assert ArxivId.parse("2310.17191").year_month == (2023, 10)


def test_doi() -> None:
    assert str(Doi.parse("10.1101/2022.11.20.517210")) == "10.1101/2022.11.20.517210"
    for bad in ("doi:10.1/x", "https://doi.org/10.1101/x", "11.1101/x", "10.1101/"):
        with pytest.raises(ValueError):
            Doi.parse(bad)


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.integers(1, 3))
def test_date_round_trip(day: date, precision: int) -> None:
    text = day.isoformat()[: {1: 4, 2: 7, 3: 10}[precision]]
    parsed = Date.parse(text)
    assert str(parsed) == text
    assert Date.parse(str(parsed)) == parsed


@pytest.mark.parametrize("text", ["2023-13", "2023-02-29", "2023-00", "23-01", "2023/01", "2023-1"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError):
        Date.parse(text)


def test_future_at_own_precision() -> None:
    today = date(2026, 11, 23)
    assert not Date(2026).is_after(today)
    assert not Date(2026, 11).is_after(today)
    assert Date(2026, 12).is_after(today)
    assert Date(2026, 11, 24).is_after(today)
    assert Date(2027).is_after(today)


@pytest.mark.parametrize(("text", "expected"), [
    ("Stella Biderman", Person(family="Biderman", given="Stella")),
    ("Oskar van der Wal", Person(family="Wal", given="Oskar", non_dropping_particle="van der")),
    ("van der Wal, Oskar", Person(family="Wal", given="Oskar", non_dropping_particle="van der")),
    ("Le Scao, Teven", Person(family="Le Scao", given="Teven")),
    ("King, Jr., Martin Luther", Person(family="King", given="Martin Luther", suffix="Jr.")),
    ("USVSN Sai Prashanth", Person(family="Prashanth", given="USVSN Sai")),
    ("Plato", Person(family="Plato")),
])
def test_person_parse(text: str, expected: Person) -> None:
    assert Person.parse(text) == expected
