"""Project configuration: ``bibkit.toml``, or ``[tool.bibkit]`` in ``pyproject.toml``.

Both hold the same keys. Everything is checked when the file is read, before anything is built,
and every problem is one line naming the file and the key: ``bibkit.toml: outputs[2].format:
unknown format 'bibtx'; did you mean 'bibtex'?`` (outputs are counted from 0). Relative paths
(records, outputs, ``.csl`` files) are relative to the configuration file's directory, so a
build gives the same files from wherever it is run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bibkit.diagnostics import BibkitError
from bibkit.exporters import GROUP_BY, Member, PageOptions
from bibkit.keygen import DEFAULT_PATTERN, check_pattern
from bibkit.select import Selection

CONFIG_NAME = "bibkit.toml"
PYPROJECT = "pyproject.toml"
# The formats a CSL style formats; the others are data and take no style or locale.
STYLED_FORMATS = frozenset({"text", "html", "markdown", "html-page"})
ASCII_FORMATS = frozenset({"bibtex", "biblatex"})

_TOP_KEYS = ("records", "key-pattern", "style", "locale", "strict", "rules", "page", "outputs")
_PAGE_KEYS = ("title", "group-by", "selected-first")  # also per html-page output
_OUTPUT_KEYS = ("format", "path", "style", "locale", "ascii", "keys", "tags", "years", "authors", "aux",
                *_PAGE_KEYS)


class ConfigError(BibkitError):
    """A configuration problem, already phrased as ``file: key: message``."""


@dataclass(frozen=True)
class Output:
    """One file ``bibkit build`` writes."""

    format: str
    path: Path  # absolute: resolved against the configuration file's directory
    selection: Selection = field(default_factory=Selection)
    style: str = "apa"  # a style name, or the path of a .csl file
    locale: str = "en-US"
    ascii: bool = False
    aux: Path | None = None  # only what this LaTeX run cites (absolute)
    page: PageOptions = field(default_factory=PageOptions)


@dataclass(frozen=True)
class Config:
    path: Path  # the file it was read from
    records: Path
    key_pattern: str = DEFAULT_PATTERN
    style: str = "apa"
    locale: str = "en-US"
    outputs: tuple[Output, ...] = ()
    strict: bool = False  # every error stops an export (CI), not only an unreadable record
    rules: tuple[str, ...] = ()  # opt-in validation rules, the collection's policies: ("BK050",)
    page: PageOptions = field(default_factory=PageOptions)
    name: str = CONFIG_NAME  # how messages name the file
    prefix: str = ""  # "tool.bibkit." in a pyproject.toml

    @property
    def root(self) -> Path:
        return self.path.parent

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name}: {self.prefix}{key}: {message}")


def find_config(start: Path) -> Path | None:
    """The configuration that applies in ``start``: the nearest directory, walking up, with a
    ``bibkit.toml`` or a ``pyproject.toml`` that has ``[tool.bibkit]``; ``bibkit.toml`` wins."""
    return next((path for path in _looked_at(start) if path.is_file() and _is_config(path)), None)


def config_inputs(start: Path) -> list[Path]:
    """The files ``find_config(start)`` looks at, up to the one it finds: whether each is there,
    and what the found one holds, decide the settings (bibkit.replay keeps their state)."""
    seen = []
    for path in _looked_at(start):
        seen.append(path)
        if path.is_file() and _is_config(path):
            break
    return seen


def _looked_at(start: Path) -> Iterator[Path]:
    for directory in (start.resolve(), *start.resolve().parents):
        yield directory / CONFIG_NAME
        yield directory / PYPROJECT


def _is_config(path: Path) -> bool:
    return path.name == CONFIG_NAME or _has_tool_table(path)


def _has_tool_table(pyproject: Path) -> bool:
    import tomllib  # (here and below: a run in a folder with no configuration reads no TOML)

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # Someone else's broken pyproject.toml is not ours to report unless asked for by --config.
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "bibkit" in tool


def load_config(path: Path, display: str | None = None, *, outputs: bool = True) -> Config:
    """Read and check the configuration in ``path``; ``display`` is how messages name the file.

    With ``outputs=False`` the outputs are not read and style names are not looked up in the
    style collection (which costs an import of citeproc): what commands other than ``build``
    need, cheaply. A style of the project's ``styles/`` or a ``.csl`` path still resolves
    against the configuration's directory.
    """
    import tomllib

    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 (TOML files are UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    prefix = ""
    if path.name == PYPROJECT:
        tool = data.get("tool")
        if not isinstance(tool, dict) or "bibkit" not in tool:
            raise ConfigError(f"{name}: no [tool.bibkit] table")
        data, prefix = tool["bibkit"], "tool.bibkit."
        if not isinstance(data, dict):
            raise ConfigError(f"{name}: tool.bibkit: expected a table, not {_kind(data)}")
    return _Reader(name, path.resolve().parent, prefix, outputs).config(path.resolve(), data)


def _kind(value: object) -> str:
    names = {str: "a string", bool: "true/false", int: "a number", float: "a number", list: "a list",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class _Reader:
    name: str
    root: Path
    prefix: str
    full: bool = True  # check outputs, look style names and locales up

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name}: {self.prefix}{key}: {message}")

    def check_keys(self, where: str, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
                raise self.fail(f"{where}{key}", f"unknown key{hint}")

    def string(self, key: str, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, not {_kind(value)}")
        if not value.strip():
            raise self.fail(key, "is empty")
        return value

    def strings(self, key: str, value: object) -> tuple[str, ...]:
        # A single string is accepted where a list is expected: tags = "llm" reads as intended.
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise self.fail(key, f"expected a list of strings, not {_kind(value)}")
        return tuple(self.string(f"{key}[{i}]", item) for i, item in enumerate(items))

    def style(self, key: str, value: object) -> str:
        text = self.string(key, value)
        if text.endswith(".csl") or "/" in text:
            path = (self.root / text).resolve()
            if self.full and not path.is_file():
                raise self.fail(key, f"style file {text!r} does not exist")
            return str(path)
        if not self.full:
            own = self.root / "styles" / f"{text}.csl"
            return str(own.resolve()) if own.is_file() else text
        from bibkit.exporters.citeproc import resolve_style

        try:
            # The project's own styles live next to the configuration, wherever bibkit runs from;
            # the path found here is what the exporter gets, so cwd cannot change the style.
            return str(resolve_style(text, project=self.root / "styles").resolve())
        except BibkitError as exc:
            raise self.fail(key, str(exc)) from None

    def locale(self, key: str, value: object) -> str:
        text = self.string(key, value)
        if not self.full:
            return text
        from bibkit.exporters.citeproc import check_locale

        try:
            check_locale(text)
        except BibkitError as exc:
            raise self.fail(key, str(exc)) from None
        return text

    def years(self, key: str, value: object) -> tuple[int, int]:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
        text = self.string(key, value)
        try:
            return Selection.parse_years(text)
        except BibkitError:
            raise self.fail(key, f"expected 2023, \"2021-2023\", \"2021-\" or \"-2023\", not {text!r}") from None

    def config(self, path: Path, data: Mapping[str, Any]) -> Config:
        self.check_keys("", data, _TOP_KEYS)
        records = self.root / self.string("records", data.get("records", "records"))
        pattern = self.string("key-pattern", data.get("key-pattern", DEFAULT_PATTERN))
        try:
            check_pattern(pattern)
        except BibkitError as exc:
            raise self.fail("key-pattern", str(exc)) from None
        style = self.style("style", data.get("style", "apa"))
        locale = self.locale("locale", data.get("locale", "en-US"))
        raw_outputs = data.get("outputs", [])
        if not isinstance(raw_outputs, list):
            raise self.fail("outputs", f"expected a list of tables ([[{self.prefix}outputs]]), "
                            f"not {_kind(raw_outputs)}")
        page = self.page("page", data.get("page", {}), PageOptions(), members=True)
        outputs = tuple(self._outputs(raw_outputs, style, locale, page)) if self.full else ()
        strict = data.get("strict", False)
        if not isinstance(strict, bool):
            raise self.fail("strict", f"expected true or false, not {_kind(strict)}")
        from bibkit.rules import OPT_IN

        rules = self.strings("rules", data.get("rules", []))
        for i, code in enumerate(rules):
            if code not in OPT_IN:
                raise self.fail(f"rules[{i}]", f"unknown opt-in rule {code!r} (known: {', '.join(OPT_IN)})")
        return Config(path, records, pattern, style, locale, outputs, strict, rules, page, self.name, self.prefix)

    def page(self, at: str, table: object, base: PageOptions, *, members: bool) -> PageOptions:
        """The page options in ``table`` (``[page]``, or an html-page output), over ``base``."""
        if not isinstance(table, dict):
            raise self.fail(at, f"expected a table, not {_kind(table)}")
        where = f"{at}." if at else ""
        if members:
            self.check_keys(where, table, (*_PAGE_KEYS, "members"))
        title = self.string(f"{where}title", table["title"]) if "title" in table else base.title
        group_by = base.group_by
        if "group-by" in table:
            group_by = self.string(f"{where}group-by", table["group-by"])
            if group_by not in GROUP_BY:
                raise self.fail(f"{where}group-by", f"expected {' or '.join(map(repr, GROUP_BY))}, not {group_by!r}")
        selected = table.get("selected-first", base.selected_first)
        if not isinstance(selected, bool):
            raise self.fail(f"{where}selected-first", f"expected true or false, not {_kind(selected)}")
        people = base.members
        if members and "members" in table:
            people = tuple(self.member(f"{where}members[{i}]", m) for i, m in
                           enumerate(self.sequence(f"{where}members", table["members"])))
        return PageOptions(title, group_by, selected, people)

    def sequence(self, key: str, value: object) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, not {_kind(value)}")
        return value

    def member(self, key: str, value: object) -> Member:
        """``"Given Family"``, or ``{ name = "Given Family", variants = ["G. Family"] }``."""
        if isinstance(value, str):
            return Member(self.string(key, value))
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a name or a table with name and variants, not {_kind(value)}")
        self.check_keys(f"{key}.", value, ("name", "variants"))
        if "name" not in value:
            raise self.fail(f"{key}.name", "missing")
        return Member(self.string(f"{key}.name", value["name"]),
                      self.strings(f"{key}.variants", value.get("variants", [])))

    def _outputs(self, raw: list[Any], style: str, locale: str, page: PageOptions) -> Iterator[Output]:
        from bibkit.exporters import EXPORTERS

        seen: dict[Path, int] = {}
        for i, table in enumerate(raw):
            at = f"outputs[{i}]"
            if not isinstance(table, dict):
                raise self.fail(at, f"expected a table, not {_kind(table)}")
            self.check_keys(f"{at}.", table, _OUTPUT_KEYS)
            for required in ("format", "path"):
                if required not in table:
                    raise self.fail(f"{at}.{required}", "missing")
            fmt = self.string(f"{at}.format", table["format"])
            if fmt not in EXPORTERS:
                close = difflib.get_close_matches(fmt, list(EXPORTERS), n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(EXPORTERS)})"
                raise self.fail(f"{at}.format", f"unknown format {fmt!r}{hint}")
            for option in ("style", "locale"):
                if option in table and fmt not in STYLED_FORMATS:
                    raise self.fail(f"{at}.{option}", f"a {fmt} output takes no {option} (only "
                                    f"{', '.join(sorted(STYLED_FORMATS))} do)")
            if "ascii" in table and fmt not in ASCII_FORMATS:
                raise self.fail(f"{at}.ascii", f"a {fmt} output takes no ascii (only bibtex and biblatex do)")
            for option in _PAGE_KEYS:
                if option in table and fmt != "html-page":
                    raise self.fail(f"{at}.{option}", f"a {fmt} output takes no {option} (only html-page does)")
            ascii_ = table.get("ascii", False)
            if not isinstance(ascii_, bool):
                raise self.fail(f"{at}.ascii", f"expected true or false, not {_kind(ascii_)}")
            path = (self.root / self.string(f"{at}.path", table["path"])).resolve()
            if path in seen:
                raise self.fail(f"{at}.path", f"{table['path']!r} is also outputs[{seen[path]}].path")
            if path.is_dir():
                raise self.fail(f"{at}.path", f"{table['path']!r} is a directory")
            seen[path] = i
            selection = Selection(
                keys=self.strings(f"{at}.keys", table.get("keys", [])),
                tags=self.strings(f"{at}.tags", table.get("tags", [])),
                authors=self.strings(f"{at}.authors", table.get("authors", [])),
                years=self.years(f"{at}.years", table["years"]) if "years" in table else None,
            )
            yield Output(
                format=fmt, path=path, selection=selection, ascii=ascii_,
                style=self.style(f"{at}.style", table["style"]) if "style" in table else style,
                locale=self.locale(f"{at}.locale", table["locale"]) if "locale" in table else locale,
                aux=(self.root / self.string(f"{at}.aux", table["aux"])).resolve() if "aux" in table else None,
                page=self.page(at, {k: v for k, v in table.items() if k in _PAGE_KEYS}, page, members=False),
            )
