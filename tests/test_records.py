"""The shipped collection: every seed paper once, clean, and described by the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bibkit.loader import load_library
from bibkit.schema import SCHEMA_PATH, render_schema

from conftest import RECORDS, TEST_RECORDS, bibkit

SEEDS = ("000_b7bca9f2920a2df3.txt", "001_cb567479606c08e0.txt", "003_a077b52fdb3c8933.txt",
         "004_8200565e57f73372.txt")


def test_shipped_records_validate_clean() -> None:
    result = bibkit("validate", RECORDS)
    assert (result.exit_code, result.stdout) == (0, "")


def test_every_record_has_provenance_and_arxiv_or_a_reason() -> None:
    records = load_library([RECORDS]).records
    assert len(records) == 39
    for rec in records:
        assert rec.provenance.pages and set(rec.provenance.pages) <= set(SEEDS), rec.key
        assert rec.provenance.verified, rec.key
        assert (rec.arxiv is None) == (rec.provenance.no_arxiv is not None), rec.key
        assert rec.author and rec.issued, rec.key


def test_every_seed_page_is_covered() -> None:
    pages = {p for r in load_library([RECORDS]).records for p in r.provenance.pages}
    assert pages == set(SEEDS)


def test_shipped_schema_is_generated_from_the_field_table() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), \
        "run `python -m bibkit.schema` to regenerate bibkit/schema/record.schema.json"


class _Yaml12Loader(yaml.SafeLoader):
    """What editors' YAML 1.2 language servers see: dates stay strings."""


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


ALL_GOOD = sorted(RECORDS.glob("*.yaml")) + sorted((TEST_RECORDS / "good").glob("*.yaml"))


@pytest.mark.parametrize("path", ALL_GOOD, ids=lambda p: p.name)
def test_records_match_the_json_schema(path: Path) -> None:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Yaml12Loader)
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_rejects_what_validate_rejects() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    good = {"type": "article", "title": "T", "author": ["A B"], "issued": "2023-03", "arxiv": "2303.08112"}
    assert validator.is_valid(good)
    for bad in ({"titel": "x"}, {"type": "paper-conferance"}, {"issued": "2023-13"},
                {"arxiv": "arXiv:2303.08112"}, {"DOI": "https://doi.org/10.1/x"},
                {"author": [{"famly": "B"}]}):
        assert not validator.is_valid({**good, **bad}), bad


def test_docs_name_every_field_and_every_code() -> None:
    """The docs match the code: every field and every diagnostic code is documented."""
    import re

    import bibkit.loader
    import bibkit.rules
    from bibkit.fields import FIELDS, PROVENANCE_FIELDS

    docs = Path(__file__).resolve().parent.parent / "docs"
    fmt = (docs / "record-format.md").read_text()
    for name in [f.name for f in FIELDS] + list(PROVENANCE_FIELDS):
        assert f"`{name}`" in fmt, name
    source = Path(bibkit.loader.__file__).read_text() + Path(bibkit.rules.__file__).read_text()
    documented = (docs / "validation.md").read_text()
    for code in set(re.findall(r'"(BK\d{3})"', source)):
        assert f"| {code} |" in documented, code
