"""arXiv answers kept on disk, so that a second run asks nothing.

One JSON file per paper (``arxiv/<id>.json``, ``/`` of old ids as ``_``) and per title search
(``search/<sha256 of the query>.json``), each with the time it was fetched. Files are written
atomically; a file that cannot be read or does not hold what it should is ignored (and
rewritten by the next fetch), never trusted.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bibkit.enrich.client import Paper
from bibkit.write import write_if_changed

VERSION = 1  # bump when the stored shape changes: older files are then ignored


class Cache:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("version") == VERSION else None

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_if_changed(path, (json.dumps({"version": VERSION, **data}, indent=1, ensure_ascii=False)
                                + "\n").encode("utf-8"))

    def _paper_path(self, base: str) -> Path | None:
        return None if self.root is None else self.root / "arxiv" / (base.replace("/", "_") + ".json")

    def paper(self, base: str) -> Paper | None:
        path = self._paper_path(base)
        data = self._read(path) if path else None
        try:
            paper = Paper.from_json(data["paper"]) if data else None
        except (KeyError, TypeError, ValueError):
            return None
        return paper if paper is not None and paper.arxiv.base == base else None

    def put_paper(self, paper: Paper) -> None:
        path = self._paper_path(paper.arxiv.base)
        if path is not None:
            self._write(path, {"paper": paper.to_json()})

    def _search_path(self, query: str) -> Path | None:
        digest = hashlib.sha256(query.encode("utf-8")).hexdigest()
        return None if self.root is None else self.root / "search" / f"{digest}.json"

    def search(self, query: str) -> list[Paper] | None:
        path = self._search_path(query)
        data = self._read(path) if path else None
        if not data or data.get("query") != query:
            return None
        try:
            return [Paper.from_json(p) for p in data["papers"]]
        except (KeyError, TypeError, ValueError):
            return None

    def put_search(self, query: str, papers: list[Paper], fetched: str) -> None:
        path = self._search_path(query)
        if path is not None:
            self._write(path, {"query": query, "fetched": fetched, "papers": [p.to_json() for p in papers]})
