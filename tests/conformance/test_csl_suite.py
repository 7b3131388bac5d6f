"""The CSL test suite's bibliography fixtures: bibkit's layer against plain citeproc-py."""

from __future__ import annotations

import csl_suite

# Measured with `.venv/bin/python tests/conformance/csl_suite.py` (docs/citeproc.md).
FIXTURES = 154
LAYER_PASSES = 108


def test_the_snapshot_is_the_bibliography_fixtures() -> None:
    found = csl_suite.fixtures()
    assert len(found) == FIXTURES
    assert all(f.result.startswith('<div class="csl-bib-body">') for f in found)
    assert (csl_suite.FIXTURES.parent / "LICENSE").is_file()
    assert (csl_suite.FIXTURES.parent / "SOURCES.md").is_file()


def test_the_layer_pass_rate_does_not_drop_and_loses_nothing() -> None:
    plain = csl_suite.results(layer=False)
    layer = csl_suite.results(layer=True)
    assert sum(layer.values()) >= LAYER_PASSES
    # Whatever citeproc-py renders right on its own, bibkit's layer must not break.
    assert [name for name, ok in plain.items() if ok and not layer[name]] == []


def test_a_wrong_rendering_fails() -> None:
    fixture = csl_suite.load(csl_suite.FIXTURES / "bugreports_SimpleBib.txt")
    assert csl_suite.passes(fixture, layer=True)
    fixture.result = fixture.result.replace("csl-entry", "csl-entry x", 1)
    assert not csl_suite.passes(fixture, layer=True)
