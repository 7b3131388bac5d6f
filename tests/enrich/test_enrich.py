"""arXiv enrichment against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bibkit.enrich.client import ArxivSettings, ArxivUnavailable, Client
from bibkit.enrich.run import Source, enrich
from bibkit.loader import load_library
from bibkit.model import ArxivId, Record

from arxiv_server import FakeArxiv, Fault, entry
from conftest import RECORDS, bibkit


def _entry_for(rec: Record) -> str:
    assert rec.arxiv and rec.issued
    day = str(rec.issued) if rec.issued.day else f"{rec.issued.year}-{rec.issued.month or 1:02d}-15"
    return entry(rec.arxiv.base, rec.title, [str(p) for p in rec.author], day, rec.arxiv_class or "cs.LG")


def _serve_shipped(server: FakeArxiv) -> dict[str, Record]:
    records = {r.key: r for r in load_library([RECORDS]).records}
    for r in records.values():
        if r.arxiv:
            server.entries[r.arxiv.base] = _entry_for(r)
    return records


def _copy(tmp_path: Path, keys: list[str] | None = None) -> Path:
    out = tmp_path / "records"
    out.mkdir()
    for path in RECORDS.glob("*.yaml"):
        if keys is None or path.stem in keys:
            shutil.copy(path, out / path.name)
    return out


def _drop_line(path: Path, field: str) -> str:
    text = path.read_text()
    new = re.sub(rf"^{re.escape(field)}:.*\n", "", text, flags=re.M)
    path.write_text(new)
    return text


# bibkit add


def test_add_from_recorded_real_responses(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    into = tmp_path / "records"
    result = bibkit("add", "astro-ph/0601001", "https://arxiv.org/abs/1707.08567v1", "arXiv:cond-mat/0412498",
                    "--records", into)
    assert result.exit_code == 0, result.stderr
    assert len(arxiv_env.requests) == 1  # one batched id_list request
    made = {r.arxiv.base: r for r in load_library([into]).records if r.arxiv}
    assert set(made) == {"astro-ph/0601001", "1707.08567", "cond-mat/0412498"}
    aew = made["1707.08567"]
    assert aew.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    assert str(aew.issued) == "2017-07-27" and aew.arxiv_class == "cs.IT"
    assert str(aew.author[0]) == "Kees A. Schouhamer Immink"
    legacy = made["cond-mat/0412498"]  # the 2016 format, with a journal DOI and reference
    assert legacy.doi is not None and legacy.journal_ref
    acta = made["astro-ph/0601001"]
    assert acta.journal_ref == "ActaAstron.56:1-50,2006"
    assert bibkit("validate", into).exit_code == 0, bibkit("validate", into).stdout


def test_add_refuses_duplicates_and_reports_unknown_ids(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    into = tmp_path / "records"
    assert bibkit("add", "1707.08567", "--records", into).exit_code == 0
    again = bibkit("add", "1707.08567v1", "0808.05394", "--records", into)
    assert again.exit_code == 1
    assert "arXiv 1707.08567 is already in record" in again.stderr
    assert "arXiv 0808.05394: arXiv has no paper with this identifier" in again.stderr
    assert len(list(into.glob("*.yaml"))) == 1


def test_add_rejects_a_malformed_id_before_any_request(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    result = bibkit("add", "abc", "--records", tmp_path)
    assert result.exit_code == 2 and "not an arXiv identifier: 'abc'" in result.stderr
    assert arxiv_env.requests == []


def test_a_malformed_id_in_a_batch_is_isolated(arxiv_server: FakeArxiv, tmp_path: Path) -> None:
    arxiv_server.malformed.add("math.XX/9901001")
    client = Client(ArxivSettings(endpoint=arxiv_server.url, delay_seconds=0), sleep=lambda s: None)
    # Well-formed for bibkit, refused by the server: the batch is halved until the culprit is alone.
    result = client.fetch([ArxivId("1707.08567"), ArxivId("astro-ph/0601001"), ArxivId("math.XX/9901001")])
    assert set(result.found) == {"1707.08567", "astro-ph/0601001"}
    assert "HTTP 400" in result.failed["math.XX/9901001"]


# bibkit enrich


def test_enrich_fills_missing_fields_touching_only_new_lines(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    originals = _serve_shipped(arxiv_env)
    records = _copy(tmp_path)
    before = {}
    for path in records.glob("*.yaml"):
        before[path.name] = _drop_line(path, "arxiv-class")
    result = bibkit("enrich", "--records", records, "--no-search")
    assert result.exit_code == 0, result.stderr
    assert len(arxiv_env.requests) == 1
    for path in records.glob("*.yaml"):
        original = originals[path.stem]
        if original.arxiv and original.arxiv_class:
            # The field comes back where the field order puts it, after `arxiv`, which is where
            # the curated file had it: the file is as it was, byte for byte.
            assert path.read_text() == before[path.name], path.name
    assert bibkit("validate", records).exit_code == 0


def test_comments_and_key_order_survive(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    arxiv_env.entries["1707.08567"] = entry("1707.08567", "A Paper", ["Ada Lovelace", "Alan Turing"],
                                           "2017-07-27", "cs.IT", journal_ref="J. Tests 1 (2017)")
    records = tmp_path / "records"
    records.mkdir()
    text = """# A hand-written record: comments and order must survive.
arxiv: '1707.08567'   # quoted with single quotes on purpose

type: article
title: "A Paper"    # the curated title
publisher: arXiv
# issued, authors and the rest come from arXiv
"""
    (records / "lovelace2017paper.yaml").write_text(text)
    dry = bibkit("enrich", "--records", records, "--dry-run")
    assert dry.exit_code == 0
    removed = [ln for ln in dry.stdout.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert removed == []
    # Each new field goes after the one before it in the field order: the hand-made order stays.
    assert dry.stdout.splitlines()[3:] == [
        " # A hand-written record: comments and order must survive.",
        " arxiv: '1707.08567'   # quoted with single quotes on purpose",
        "+arxiv-class: cs.IT", "+journal-ref: J. Tests 1 (2017)", " ", " type: article",
        ' title: "A Paper"    # the curated title', "+author:", "+  - Ada Lovelace", "+  - Alan Turing",
        "+issued: '2017-07-27'", " publisher: arXiv", " # issued, authors and the rest come from arXiv"]
    assert (records / "lovelace2017paper.yaml").read_text() == text  # --dry-run wrote nothing
    assert bibkit("enrich", "--records", records, "--check").exit_code == 1
    assert bibkit("enrich", "--records", records).exit_code == 0
    new = (records / "lovelace2017paper.yaml").read_text()
    assert [ln for ln in new.splitlines() if ln in text.splitlines()] == text.splitlines()
    assert bibkit("validate", records).exit_code == 0
    assert bibkit("enrich", "--records", records, "--check").exit_code == 0  # nothing left to do


def test_conflicts_are_reported_and_only_taken_when_asked(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    arxiv_env.entries["1707.08567"] = entry("1707.08567", "The arXiv Title", ["Ada Lovelace", "Alan Turing"],
                                           "2017-07-27", "cs.IT")
    records = tmp_path / "records"
    records.mkdir()
    path = records / "lovelace2017curated.yaml"
    path.write_text('type: article\ntitle: "The Curated Title"\nauthor: [Ada Lovelace]\nissued: 2017-07\n'
                    'arxiv: "1707.08567"\narxiv-class: cs.IT\n')
    result = bibkit("enrich", "--records", records)
    assert "title differs from arXiv 1707.08567v1: record 'The Curated Title', arXiv 'The arXiv Title'" in result.stderr
    assert "1 author(s), arXiv 1707.08567v1 lists 2" in result.stderr
    assert "The Curated Title" in path.read_text()
    assert bibkit("enrich", "--records", records, "--accept-arxiv").exit_code == 0
    taken = load_library([records]).records[0]
    assert taken.title == "The arXiv Title" and len(taken.author) == 2


def test_title_search_takes_only_a_clear_match(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    originals = _serve_shipped(arxiv_env)
    records = _copy(tmp_path, ["yong2023bloom1", "peng2024yarn"])
    _drop_line(records / "yong2023bloom1.yaml", "arxiv")
    # Two near-identical titles on the server: neither is clearly the paper.
    arxiv_env.entries["2309.00071"] = entry("2309.00071", originals["peng2024yarn"].title, ["Bowen Peng"], "2023-08-31")
    arxiv_env.entries["2309.99999"] = entry("2309.99999", originals["peng2024yarn"].title + "s", ["Bowen Peng"],
                                            "2023-09-30")
    _drop_line(records / "peng2024yarn.yaml", "arxiv")
    result = bibkit("enrich", "--records", records)
    assert result.exit_code == 0, result.stderr
    by_key = {r.key: r for r in load_library([records]).records}
    assert by_key["yong2023bloom1"].arxiv == originals["yong2023bloom1"].arxiv
    assert by_key["peng2024yarn"].arxiv is None
    assert "ambiguous title match, left alone: 2309.00071" in result.stderr
    assert "1 matched by title, 1 ambiguous" in result.stderr


def test_second_run_makes_no_request_and_offline_uses_the_cache(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    _serve_shipped(arxiv_env)
    records = _copy(tmp_path)
    for path in records.glob("*.yaml"):
        _drop_line(path, "arxiv-class")
    assert bibkit("enrich", "--records", records, "--dry-run").exit_code == 0
    first = len(arxiv_env.requests)
    assert first >= 1
    assert bibkit("enrich", "--records", records, "--offline", "--no-search").exit_code == 0
    assert bibkit("enrich", "--records", records, "--no-search").exit_code == 0
    assert len(arxiv_env.requests) == first
    assert bibkit("enrich", "--records", records, "--refresh", "--no-search").exit_code == 0
    assert len(arxiv_env.requests) == first + 1


def test_offline_without_cache_reports_and_changes_nothing(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = _copy(tmp_path, ["belrose2023eliciting"])
    before = (records / "belrose2023eliciting.yaml").read_text()
    result = bibkit("enrich", "--records", records, "--offline")
    assert result.exit_code == 1 and "not in the cache (--offline)" in result.stderr
    assert arxiv_env.requests == []
    assert (records / "belrose2023eliciting.yaml").read_text() == before


def test_a_corrupted_cache_file_is_ignored(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    _serve_shipped(arxiv_env)
    records = _copy(tmp_path, ["belrose2023eliciting"])
    _drop_line(records / "belrose2023eliciting.yaml", "arxiv-class")
    cached = tmp_path / "cache" / "arxiv" / "2303.08112.json"
    cached.parent.mkdir(parents=True)
    cached.write_text('{"version": 1, "paper": {"arxiv": "2303.08112", "title": "WRONG"')  # truncated
    assert bibkit("enrich", "--records", records).exit_code == 0
    assert len(arxiv_env.requests) == 1
    assert "arxiv-class: cs.LG" in (records / "belrose2023eliciting.yaml").read_text()
    assert '"title": "Eliciting' in cached.read_text()


# Batching and faults


def _ids(n: int, server: FakeArxiv) -> list[ArxivId]:
    ids = [ArxivId(f"2301.{10000 + i}") for i in range(n)]
    for i in ids:
        server.entries[i.base] = entry(i.base, f"Paper {i.base}", ["Ada Lovelace"], "2023-01-15")
    return ids


@pytest.mark.slow
def test_thousand_ids_cost_ten_requests_and_then_none(arxiv_server: FakeArxiv, tmp_path: Path) -> None:
    settings = ArxivSettings(endpoint=arxiv_server.url, delay_seconds=0, cache_dir=tmp_path / "cache")
    ids = _ids(1000, arxiv_server)
    found, failed = Source(settings).papers(ids)
    assert len(found) == 1000 and not failed
    assert len(arxiv_server.requests) == 10
    again, _ = Source(settings).papers(ids)
    assert len(again) == 1000 and len(arxiv_server.requests) == 10


def test_requests_are_spaced_by_the_delay(arxiv_server: FakeArxiv) -> None:
    """On a clock that only the client's sleeps move (a request takes no time on it), each
    request after the first waits the whole delay; one that already waited waits no more."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = Client(ArxivSettings(endpoint=arxiv_server.url, delay_seconds=3.0), sleep=sleep, clock=lambda: now[0])
    client.fetch(_ids(250, arxiv_server))
    assert len(arxiv_server.requests) == 3
    assert slept == [3.0, 3.0]
    now[0] += 2.0  # two seconds pass between two fetches: one more to wait
    client.fetch(_ids(1, arxiv_server))
    assert slept == [3.0, 3.0, 1.0]


@pytest.mark.parametrize("fault", [
    Fault(status=503),
    Fault(status=429, headers={"Retry-After": "7"}),
    Fault(status=200, body=b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry><title>trunc"),
    Fault(delay=1.5),  # longer than the timeout: a hung connection
], ids=["503", "429-retry-after", "malformed-xml", "timeout"])
def test_a_fault_then_success(arxiv_server: FakeArxiv, fault: Fault) -> None:
    ids = _ids(3, arxiv_server)
    arxiv_server.faults.append(fault)
    slept: list[float] = []
    client = Client(ArxivSettings(endpoint=arxiv_server.url, delay_seconds=0, timeout=0.5), sleep=slept.append)
    result = client.fetch(ids)
    assert set(result.found) == {i.base for i in ids} and not result.failed
    assert len(arxiv_server.requests) == 2
    if "Retry-After" in fault.headers:
        assert slept[0] == 7.0


def test_an_empty_page_leaves_records_unchanged(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    from arxiv_server import feed

    _serve_shipped(arxiv_env)
    records = _copy(tmp_path, ["belrose2023eliciting", "biderman2023pythia"])
    _drop_line(records / "belrose2023eliciting.yaml", "arxiv-class")
    before = {p.name: p.read_text() for p in records.glob("*.yaml")}
    arxiv_env.faults.append(Fault(status=200, body=feed([])))
    result = bibkit("enrich", "--records", records, "--no-search")
    assert result.exit_code == 1 and "arXiv has no paper with this identifier" in result.stderr
    assert {p.name: p.read_text() for p in records.glob("*.yaml")} == before
    assert bibkit("enrich", "--records", records, "--no-search", "--refresh").exit_code == 0  # the rerun mends it
    assert "arxiv-class: cs.LG" in (records / "belrose2023eliciting.yaml").read_text()


def test_a_missing_id_in_a_batch_does_not_stop_the_others(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    _serve_shipped(arxiv_env)
    records = _copy(tmp_path, ["belrose2023eliciting", "biderman2023pythia"])
    for p in records.glob("*.yaml"):
        _drop_line(p, "arxiv-class")
    del arxiv_env.entries["2304.01373"]
    result = bibkit("enrich", "--records", records, "--no-search")
    assert result.exit_code == 1
    assert "biderman2023pythia.yaml: arXiv 2304.01373: arXiv has no paper with this identifier" in result.stderr
    assert "arxiv-class: cs.LG" in (records / "belrose2023eliciting.yaml").read_text()
    assert "arxiv-class" not in (records / "biderman2023pythia.yaml").read_text()


def test_unreachable_arxiv_gives_a_clear_message(arxiv_env: FakeArxiv, tmp_path: Path) -> None:
    records = _copy(tmp_path, ["belrose2023eliciting"])
    before = (records / "belrose2023eliciting.yaml").read_text()
    arxiv_env.faults.extend(Fault(status=503) for _ in range(10))
    result = bibkit("enrich", "--records", records, "--no-search")
    assert result.exit_code == 1
    assert f"arXiv at {arxiv_env.url} did not answer 1 id(s) from 2303.08112 after 5 tries (last: HTTP 503)" \
        in result.stderr
    assert (records / "belrose2023eliciting.yaml").read_text() == before


def test_client_raises_for_a_refused_search(arxiv_server: FakeArxiv) -> None:
    arxiv_server.faults.append(Fault(status=403, body=b"no"))
    client = Client(ArxivSettings(endpoint=arxiv_server.url, delay_seconds=0), sleep=lambda s: None)
    with pytest.raises(ArxivUnavailable, match="HTTP 403"):
        client.search_title("Anything at all")


def test_enrich_report_counts(arxiv_server: FakeArxiv, tmp_path: Path) -> None:
    _serve_shipped(arxiv_server)
    records = _copy(tmp_path, ["belrose2023eliciting"])
    _drop_line(records / "belrose2023eliciting.yaml", "arxiv-class")
    settings = ArxivSettings(endpoint=arxiv_server.url, delay_seconds=0, cache_dir=tmp_path / "c")
    report = enrich(load_library([records]), settings)
    assert (report.filled, report.failures, report.requests) == (1, 0, 1)
    assert report.changes[0].fields == ["arxiv-class"]


def test_a_name_that_does_not_resolve_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline: the resolver fails (injected at the socket layer, as on a machine with no
    network); one try, then one line that says what is wrong, not five tries and a class name."""
    import socket

    asked: list[object] = []

    def no_resolver(host: object, *args: object, **kwargs: object) -> object:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_resolver)
    result = bibkit("add", "2303.08112", "-r", tmp_path, "--arxiv-url", "http://arxiv.invalid/api/query",
                    "--arxiv-delay", "0", "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 1
    assert result.stderr == ("bibkit: arXiv 2303.08112: arXiv at http://arxiv.invalid/api/query cannot be reached: "
                             "arxiv.invalid does "
                             "not resolve (offline? check the network or --arxiv-url)\n")
    assert asked == ["arxiv.invalid"]


def test_a_refused_connection_is_retried_and_named(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api/query"
        client = Client(ArxivSettings(endpoint=url, delay_seconds=0, retries=2), sleep=lambda s: None)
        result = client.fetch([ArxivId.parse("2303.08112")])
    assert result.failed["2303.08112"].endswith("after 3 tries (last: ConnectionError (Connection refused))")
    assert client.requests == 3
