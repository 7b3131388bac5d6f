"""The ``bibkit`` command: parse arguments, call the library, print, set the exit code.

Exit codes: 0 success; 1 findings in the records (or a failed export because of them);
2 usage or I/O errors; 3 an internal error (a bug: rerun with --debug for the traceback).
"""

from __future__ import annotations

import contextlib
import enum
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer

from bibkit import __version__
from bibkit.diagnostics import BibkitError, Diagnostic, Severity

app = typer.Typer(
    name="bibkit",
    help="Keep a bibliography as curated YAML records: validate them and export them to "
    "BibTeX and BibLaTeX.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
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
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Check records and report every finding, one line each, on standard output.

    Exits 0 when there is nothing to report, 1 when there are findings, 2 on usage or I/O errors.

    Example:  bibkit validate records/ --format github
    """
    from bibkit.load import load_library
    from bibkit.report import REPORTERS
    from bibkit.validate import validate as run_rules

    with _reported(debug):
        targets = paths or [Path("records")]
        _existing(targets)
        skip = {c.upper() for c in ignore or ()}
        found = [d for d in run_rules(load_library(targets)) if d.code not in skip]
        sys.stdout.write(REPORTERS[fmt.value](found))
        if found:
            raise typer.Exit(EXIT_FINDINGS)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")],
    records: RecordsOption = Path("records"),
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here (atomically; left untouched when unchanged) "
        "instead of standard output.")] = None,
    key: Annotated[list[str] | None, typer.Option(
        "--key", "-k", help="Export only this citation key (repeatable).")] = None,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Export the records, sorted by citation key.

    Records with errors stop the export before anything is written: the findings go to
    standard error and the exit code is 1. Warnings are printed and the export goes on.

    Example:  bibkit export --format bibtex -o refs.bib
    """
    from bibkit.export import EXPORTERS, sort_records
    from bibkit.load import load_library
    from bibkit.report import REPORTERS
    from bibkit.validate import validate as run_rules
    from bibkit.write import write_if_changed

    with _reported(debug):
        _existing([records])
        library = load_library([records])
        found: list[Diagnostic] = run_rules(library)
        sys.stderr.write(REPORTERS["text"](found))
        if any(d.severity is Severity.ERROR for d in found):
            _err("bibkit: error: the records have errors; nothing was exported")
            raise typer.Exit(EXIT_FINDINGS)
        chosen = sort_records(library.records)
        if key:
            known = {r.key for r in chosen}
            missing = [k for k in key if k not in known]
            if missing:
                raise BibkitError(f"no record with key {', '.join(map(repr, missing))}")
            chosen = [r for r in chosen if r.key in set(key)]
        data = EXPORTERS[fmt.value](chosen)
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            write_if_changed(output, data)


def main() -> None:
    app()
