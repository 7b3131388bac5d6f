"""Each bad record names the finding it must produce: ``# expect: CODE LINE:COL`` on line 1."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_RECORDS, bibkit

BAD = TEST_RECORDS / "bad"
EXPECT = re.compile(rb"# expect: (BK\d{3}) (\d+):(\d+)")


def _cases() -> list[tuple[Path, Path]]:
    """(what to validate, the file whose first line holds the expectation)."""
    cases = []
    for path in sorted(BAD.iterdir()):
        if path.is_dir():
            expecting = [p for p in sorted(path.glob("*.yaml")) if p.read_bytes().startswith(b"# expect")]
            assert len(expecting) == 1, path
            cases.append((path, expecting[0]))
        else:
            cases.append((path, path))
    return cases


@pytest.mark.parametrize(("target", "holder"), _cases(), ids=lambda p: p.name)
def test_bad_record_gives_its_finding(target: Path, holder: Path) -> None:
    m = EXPECT.match(holder.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    assert m is not None, f"{holder} has no '# expect:' line"
    code, line, col = m[1].decode(), int(m[2]), int(m[3])
    result = bibkit("validate", target)
    assert result.exit_code == 1, result
    expected = f"{holder}:{line}:{col}: "
    lines = result.stdout.splitlines()
    assert any(ln.startswith(expected) and f" {code} " in ln for ln in lines), lines
    assert "Traceback" not in result.stdout + result.stderr


def test_every_code_has_a_bad_record() -> None:
    """A new rule comes with a record that breaks it."""
    import bibkit.across
    import bibkit.loader
    import bibkit.rules

    modules = (bibkit.loader, bibkit.rules, bibkit.across)
    source = "".join(Path(str(m.__file__)).read_text() for m in modules)
    # BK000 (unreadable file) and BK007 (a file over 4 MiB) have tests of their own below; the
    # codes about a paper's citations, which rules.py only names, are bibkit.aux's (test_aux.py).
    codes = set(re.findall(r'"(BK\d{3})"', source)) - {"BK000", "BK007"} - bibkit.rules.CITATION_CODES
    covered = {EXPECT.match(h.read_bytes()).group(1).decode()  # type: ignore[union-attr]
               for _, h in _cases()}
    assert codes <= covered, sorted(codes - covered)


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    record = tmp_path / "x2023a.yaml"
    record.write_text(f'type: article\ntitle: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert bibkit("validate", record).exit_code == 1
    assert not marker.exists()


def test_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["' + "x" * 100 + '"]']
    for i in range(1, 30):  # 9**29 strings if expanded
        prev, cur = f"a{i - 1}" if i > 1 else "a", f"a{i}"
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    bomb = tmp_path / "bomb2023.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    result = bibkit("validate", bomb)
    assert result.exit_code == 1
    assert " BK004 " in result.stdout


def test_good_records_are_clean() -> None:
    # BK060 is a suggestion the shipped bibkit.toml (found from here) turns on for its own titles.
    result = bibkit("validate", "--ignore", "BK060", TEST_RECORDS / "good")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


def test_both_yaml_loaders_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C loader is used when present; the pure-Python one must find the same problems at the
    same places (the wording of a syntax error is each parser's own)."""
    import yaml

    import bibkit.loader as load
    from bibkit.rules import validate

    def findings() -> list[tuple[str, int, int, str]]:
        return [(str(d.path), d.line, d.col, d.code) for d in validate(load.load_library([BAD]))]

    fast = findings()
    monkeypatch.setattr(load, "_Loader", yaml.SafeLoader)
    assert findings() == fast


def test_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    """A file far larger than the memory bibkit may use is refused by its size: read whole, it
    would exhaust the address space the child is given (64 MiB of record in 1 GiB)."""
    import resource

    huge = tmp_path / "huge2023.yaml"
    with huge.open("wb") as fh:
        fh.write(b'type: article\ntitle: "')
        fh.truncate(8 * 1024**3)  # 8 GiB, sparse: no disk is used
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))
    result = subprocess.run([sys.executable, "-m", "bibkit", "validate", str(huge)], capture_output=True, text=True,
                            preexec_fn=limit, check=False)
    assert result.stdout == f"{huge}:1:1: error BK007 file is larger than 4,194,304 bytes, the most a record may be\n"
    assert result.returncode == 1



def test_a_record_is_read_whole_up_to_the_limit_whatever_size_it_had(tmp_path: Path) -> None:
    """The read is sized by the file's stat; a file that grew since (a stale size) is still read
    whole, and one over the limit gives the limit and one byte more, however large it says it is."""
    from bibkit.library import MAX_BYTES, read_capped

    small = tmp_path / "small.yaml"
    small.write_bytes(b"type: article\ntitle: T\n")
    with small.open("rb") as fh:
        assert read_capped(fh) == small.read_bytes()
    with small.open("rb") as fh:
        assert read_capped(fh, size=3) == small.read_bytes()  # grew after its stat
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * (MAX_BYTES + 100))
    for size in (None, 10, MAX_BYTES + 100):
        with big.open("rb") as fh:
            assert len(read_capped(fh, size)) == MAX_BYTES + 1

@pytest.mark.slow
def test_huge_field_within_the_limit_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big2023title.yaml"
    title = "word " * 700_000
    big.write_text(f'type: article\ntitle: "{title}"\nauthor: [A B]\nissued: 2023\narxiv: "2301.00001"\n')
    assert bibkit("validate", big).exit_code == 0
    from bibkit.loader import load_record

    loaded = load_record(big)
    assert loaded.record is not None and loaded.record.title == title.strip()


DEPTH_LIMIT_COL = len("title: ") + 16  # the mapping is level 1; the 16th "[" would be level 17


@pytest.mark.parametrize("depth", [15, 16, 1_000, 200_000])
@pytest.mark.parametrize("parser", ["C", "pure-Python"])
def test_bibkit_refuses_nesting_past_its_own_limit_whichever_parser_reads(
        depth: int, parser: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bibkit's limit (16 levels) fires where the 17th level opens, not some parser's own limit
    further on (libyaml's, since PyYAML 6.0.4, fires at 1,000)."""
    import yaml

    import bibkit.loader as load

    if parser == "pure-Python":
        monkeypatch.setattr(load, "_Loader", yaml.SafeLoader)
    else:
        assert load._Loader is yaml.CSafeLoader  # the locked PyYAML wheel carries libyaml
    text = "title: " + "[" * depth + "]" * depth + "\n"
    found = [(d.line, d.col, d.code) for d in load.load_text(tmp_path / "deep2023.yaml", text.encode()).diagnostics]
    if depth < 16:
        assert found == [(1, 8, "BK011")]  # deep enough to be wrong, not too deep to read
    else:
        assert found == [(1, DEPTH_LIMIT_COL, "BK005")]


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    import bibkit.loader as load

    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(40))
    finding = load.load_text(tmp_path / "deep2023.yaml", text.encode()).diagnostics
    assert [(d.code, d.line) for d in finding] == [("BK005", 17)]


def test_deep_nesting_is_one_line_and_exit_1(tmp_path: Path) -> None:
    deep = tmp_path / "deep2023.yaml"
    deep.write_text("title: " + "[" * 200_000 + "]" * 200_000 + "\n")
    result = bibkit("validate", deep)
    assert result.stdout == f"{deep}:1:{DEPTH_LIMIT_COL}: error BK005 values nested deeper than 16 levels\n"
    assert result.exit_code == 1


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "dir2023.yaml").mkdir()  # a directory where a record file should be
    result = bibkit("validate", tmp_path)
    assert result.stdout == f"{tmp_path / 'dir2023.yaml'}:1:1: error BK000 cannot read: Is a directory\n"


@pytest.mark.parametrize(("line", "col", "expected", "found"), [
    ("extra: [a, b]", 8, "a mapping", "a list"),
    ("extra: 3", 8, "a mapping", "a number"),
    ("extra: 2.5", 8, "a mapping", "a number"),
    ("extra: true", 8, "a mapping", "a boolean"),
    ("extra: 2020-01-01", 8, "a mapping", "a date"),
    ("extra: some text", 8, "a mapping", "text"),
    ("volume: ~", 9, "text", "an empty value"),
    ("volume: [x]", 9, "text", "a list"),
    ("id: [a]", 5, "a citation key", "a list"),
    ("arxiv: [x]", 8, "an arXiv identifier", "a list"),
    ("DOI: [x]", 6, "a DOI", "a list"),
    ("URL: [x]", 6, "a URL", "a list"),
])
def test_a_value_of_the_wrong_kind_names_what_was_expected_and_found(line: str, col: int, expected: str, found: str,
                                                                       tmp_path: Path) -> None:
    record = tmp_path / "lee2020thing.yaml"
    record.write_text(f"type: book\ntitle: A Thing\nauthor: [Cy Lee]\nissued: 2020\npublisher: P\n{line}\n")
    result = bibkit("validate", tmp_path)
    assert result.exit_code == 1
    assert f"{record}:6:{col}: error BK011 expected {expected}, found {found}" in result.stdout.splitlines()


@pytest.mark.parametrize(("line", "col", "says"), [
    ("author: [others, Ada Lovelace]", 10, "`others` may only close the list"),
    ("author: []", 9, "the list of names is empty"),
])
def test_a_list_of_names_that_says_nothing_right_is_named(line: str, col: int, says: str, tmp_path: Path) -> None:
    record = tmp_path / "lee2020thing.yaml"
    record.write_text(f"type: book\ntitle: A Thing\nissued: 2020\npublisher: P\n{line}\n")
    result = bibkit("validate", tmp_path)
    assert f"{record}:5:{col}: error BK011 {says}" in result.stdout.splitlines()


@pytest.mark.parametrize(("text", "where", "finding"), [
    ("", "1:1", "BK005 empty file: a record is a mapping of fields"),
    ("title: a\n---\ntitle: b\n", "2:1", "BK001 invalid YAML: a record file holds one document"),
])
def test_a_file_that_is_no_record_says_why(text: str, where: str, finding: str, tmp_path: Path) -> None:
    from bibkit.loader import load_record

    record = tmp_path / "lee2020thing.yaml"
    record.write_text(text)
    result = bibkit("validate", tmp_path)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{record}:{where}: error {finding}")
    # The library, without the record store in between, says the same.
    assert [str(d) for d in load_record(record).diagnostics] == result.stdout.splitlines()


def test_a_misspelt_provenance_field_gets_a_suggestion() -> None:
    path = BAD / "unknown-provenance-field.yaml"
    result = bibkit("validate", path)
    assert f"{path}:7:3: error BK010 unknown provenance field 'verifed'; did you mean 'verified'?" in \
        result.stdout.splitlines()


def test_a_preprint_without_a_locator_is_told_the_fields_it_may_add() -> None:
    """The fields named are the record format's own, spelt as a record writes them."""
    from bibkit.fields import FIELD_BY_NAME

    result = bibkit("validate", BAD / "preprint-without-locator.yaml")
    (finding,) = [ln for ln in result.stdout.splitlines() if " BK012 " in ln and "preprint" in ln]
    named = re.findall(r"'([^']+)'", finding.split(" BK012 ", 1)[1])
    assert sorted(named) == sorted(["arxiv", "DOI", "URL"]) and all(n in FIELD_BY_NAME for n in named)


def test_a_record_without_type_or_title_still_loads_as_the_model_types_it(tmp_path: Path) -> None:
    """A library user gets a Record whose fields have the model's types, findings beside it."""
    from bibkit.loader import load_record

    path = tmp_path / "lovelace2020notype.yaml"
    path.write_text("author: [Ada Lovelace]\nissued: 2020\n")
    loaded = load_record(path)
    assert loaded.record is not None
    assert (loaded.record.key, loaded.record.type, loaded.record.title) == ("lovelace2020notype", "", "")


def test_an_explicit_standard_tag_is_what_the_value_is(tmp_path: Path) -> None:
    """`!!int 12` is the number 12, `!!str 12` the text "12", in `extra` (kept as JSON values),
    as YAML defines the standard tags."""
    from bibkit.loader import load_record

    path = tmp_path / "lovelace2020tags.yaml"
    path.write_text("type: book\ntitle: T\nauthor: [Ada Lovelace]\nissued: 2020\npublisher: P\n"
                    "extra: {a: !!int 12, b: !!str 12, c: 12, d: !!bool true}\n")
    loaded = load_record(path)
    assert loaded.diagnostics == [] and loaded.record is not None
    assert loaded.record.extra == {"a": 12, "b": "12", "c": 12, "d": True}


@pytest.mark.parametrize(("text", "col", "expected"), [
    ("title: A Thing\nauthor: [Cy Lee]\nissued: 2020\npublisher: P\ntype: [x]\n", 7, "a CSL type"),
    ("type: book\ntitle: A Thing\nauthor: [Cy Lee]\npublisher: P\nissued: [x]\n", 9, "a date"),
])
def test_the_type_and_the_date_name_what_they_expected(text: str, col: int, expected: str, tmp_path: Path) -> None:
    record = tmp_path / "lee2020thing.yaml"
    record.write_text(text)
    result = bibkit("validate", tmp_path)
    assert f"{record}:5:{col}: error BK011 expected {expected}, found a list" in result.stdout.splitlines()


@pytest.mark.parametrize("spelling", [".", "./records", "records", "records/", "records//", "ABS", "ABS/", "FILE"])
def test_record_files_are_named_as_pathlib_names_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      spelling: str) -> None:
    """The store keys records by these names, and findings print them: however a folder is
    written, each file's name is pathlib's (``./records`` -> ``records/a.yaml``), in name order."""
    from bibkit.library import record_files

    (tmp_path / "records").mkdir()
    for name in ("b.yaml", "a.yaml", "A.yaml", "notes.txt", "c.yml"):
        (tmp_path / "records" / name).write_text("title: x\n")
    monkeypatch.chdir(tmp_path / "records" if spelling == "." else tmp_path)
    given = spelling.replace("ABS", str(tmp_path / "records")).replace("FILE", "records/b.yaml")
    expected = [str(Path(given))] if spelling == "FILE" else \
        [str(Path(given) / name) for name in sorted(("b.yaml", "a.yaml", "A.yaml"))]
    assert record_files([Path(given)]) == expected
    assert record_files([Path("/")]) == sorted(str(p) for p in Path("/").glob("*.yaml"))
