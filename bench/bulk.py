"""A million records (or more) in minutes: a generated collection's record files, copied with
what must differ made different.

    python bench/generate_mixed.py 100000 /tmp/mixed100k
    python bench/bulk.py /tmp/mixed100k/records 1000000 /tmp/mixed1m   # -> records/ only

Writing YAML through PyYAML's emitter costs about a millisecond a record, so a generator would
take the better part of an hour for a million; these copies take a minute or two. Copy ``k`` of
``x.yaml`` is ``x-k.yaml`` (the key follows from the file name), its DOI gets ``.ck``, its arXiv
identifier another number in the same month, and its title's words are rotated by ``k`` so that
no two copies are near-duplicates. The copies are for bibkit only: no .bib, no CSL-JSON.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_TITLE = re.compile(r"^title: (.*)$", re.M)
_DOI = re.compile(r"^(DOI: )(.*)$", re.M)
_ARXIV = re.compile(r"^(arxiv: )(['\"]?)(\d{4})\.(\d{5})(['\"]?)$", re.M)


def _title(value: str) -> str:
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    if value.startswith('"'):
        return str(json.loads(value))
    return value


def _copy(text: str, k: int) -> str:
    def title(m: re.Match[str]) -> str:
        words = _title(m.group(1)).split(" ")
        turn = k % len(words)
        return "title: " + json.dumps(" ".join(words[turn:] + words[:turn] + [f"({k})"]), ensure_ascii=False)

    text = _TITLE.sub(title, text, count=1)
    text = _DOI.sub(lambda m: f"{m.group(1)}{m.group(2)}.c{k}", text, count=1)
    # Numbers in a month start at 10001 and stay below 11000 at 100,000 records: + 1000 k is free.
    return _ARXIV.sub(lambda m: f"{m.group(1)}'{m.group(3)}.{int(m.group(4)) + 1000 * k:05d}'", text, count=1)


def main(source: Path, n: int, out: Path) -> None:
    folder = out / "records"
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(source.glob("*.yaml"))
    texts = [(f.stem, f.read_text(encoding="utf-8")) for f in files]
    for i in range(n):
        stem, text = texts[i % len(texts)]
        k = i // len(texts)
        (folder / (f"{stem}-{k}.yaml" if k else f"{stem}.yaml")).write_text(text if not k else _copy(text, k),
                                                                         encoding="utf-8")
    print(f"{n} records in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
