"""A seeded generator of realistic synthetic collections, written three ways (one YAML record per
file, one .bib, one CSL-JSON file) so that bibkit and its peers work on the same entries.

    python bench/generate.py 10000 /tmp/bench10k   # -> records/, collection.bib, collection.json

Same seed, same bytes. Non-ASCII names, particles, organisations, long author lists, LaTeX
specials in titles, and a mix of preprints, conference papers and journal articles.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from pathlib import Path

from bibkit.dump import dump_record
from bibkit.exporters import export
from bibkit.keygen import generate_key
from bibkit.keys import SUFFIX, file_stem_for
from bibkit.model import ArxivId, Date, Doi, Person, Provenance, Record

GIVEN = ["Ada", "Alan", "Zoë", "José", "Łukasz", "Søren", "Nguyễn", "Chloé", "Björn", "Aarav", "Mei", "Olúwaseun",
         "Ines", "Jürgen", "Hailey", "Stella", "Quentin", "Niccolò", "Yuki", "Fatima"]
FAMILY = ["Lovelace", "Turing", "Müller", "García", "Kowalski", "Ødegaard", "Nguyen", "Dubois", "Sørensen", "Patel",
          "Zhang", "Adébáyọ̀", "O'Donnell", "Schoelkopf", "Biderman", "Anthony", "Zanichelli", "Tanaka", "Haddad"]
PARTICLES = ["van der", "de la", "von", "de", "van"]
WORDS = ["learning", "language", "models", "scaling", "efficient", "robust", "neural", "graph", "attention",
         "sparse", "interpretability", "alignment", "memorization", "retrieval", "benchmark", "optimal",
         "transport", "diffusion", "Bayesian", "causal", "multilingual", "Korean", "reasoning", "proofs"]
NAMES = ["LLaMA", "BLOOM", "GPT-4", "CLIP", "YaRN", "StarCoder", "Pythia", "ProofNet", "AlphaFold2", "T5"]
VENUES = [("paper-conference", "Proceedings of the 40th International Conference on Machine Learning"),
          ("paper-conference", "Advances in Neural Information Processing Systems"),
          ("paper-conference", "Findings of the Association for Computational Linguistics: EMNLP 2023"),
          ("article-journal", "Transactions on Machine Learning Research"),
          ("article-journal", "Nature Methods"), ("article", None)]
CLASSES = ["cs.CL", "cs.LG", "cs.AI", "stat.ML", "cs.CV", "math.OC"]


def _arxiv_id(year: int, month: int, i: int, numbers: dict[str, int] | None) -> str:
    """An identifier of that month; with ``numbers`` (the next free number per month), one no
    other record has, at any size."""
    month_id = f"{year % 100:02d}{month:02d}"
    if numbers is None:
        return f"{month_id}.{10000 + i % 90000:05d}"
    numbers[month_id] = numbers.get(month_id, 10000) + 1
    return f"{month_id}.{numbers[month_id]:05d}"


def person(rng: random.Random) -> Person:
    roll = rng.random()
    if roll < 0.02:
        return Person(literal=f"{rng.choice(['BigScience', 'EleutherAI', 'OpenFold'])} Consortium")
    particle = rng.choice(PARTICLES) if roll < 0.1 else None
    return Person(family=rng.choice(FAMILY), given=rng.choice(GIVEN), non_dropping_particle=particle)


def title(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 11))]
    if rng.random() < 0.4:
        words.insert(0, rng.choice(NAMES) + ":")
    if rng.random() < 0.05:
        words.append(rng.choice(["& more", "at 100%", "with $O(n)$ cost", "for C#", "under_scores"]))
    text = " ".join(words)
    return text[0].upper() + text[1:]


def record(i: int, rng: random.Random, taken: set[str], numbers: dict[str, int] | None = None) -> Record:
    kind, venue = rng.choice(VENUES)
    year = rng.randint(2008, 2025)
    month = rng.randint(1, 12)
    authors = tuple(person(rng) for _ in range(rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 40])))
    arxiv = ArxivId(_arxiv_id(year, month, i, numbers)) if kind == "article" or rng.random() < 0.6 else None
    text = {"container-title": venue} if venue else {"publisher": "arXiv"}
    if kind == "article-journal":
        text |= {"volume": str(rng.randint(1, 40)), "page": f"{rng.randint(1, 900)}-{rng.randint(901, 1800)}"}
    draft = Record(
        key="", type=kind if arxiv or kind != "article" else "article", title=title(rng), author=authors,
        issued=Date(year, month, rng.randint(1, 28)) if kind == "article" else Date(year, month),
        arxiv=arxiv, arxiv_class=rng.choice(CLASSES) if arxiv else None, text=text,
        doi=Doi(f"10.{rng.randint(1000, 9999)}/bench.{i}") if kind == "article-journal" else None,
        tags=tuple(rng.sample(["nlp", "vision", "theory", "systems", "bio"], rng.randint(0, 2))),
    )
    if draft.type == "article" and draft.arxiv is None:
        draft = dataclasses.replace(draft, url=f"https://example.org/paper/{i}")
    if draft.arxiv is None:
        draft = dataclasses.replace(draft, provenance=Provenance(no_arxiv="synthetic benchmark record"))
    return dataclasses.replace(draft, key=generate_key(draft, taken))


def write(records: list[Record], out: Path) -> list[Record]:
    """``records`` (those without a key get one) as out/records/*.yaml, out/collection.bib and
    out/collection.json: the same entries for bibkit and for its peers."""
    taken = {r.key.casefold() for r in records if r.key}
    records = [r if r.key else dataclasses.replace(r, key=generate_key(r, taken)) for r in records]
    (out / "records").mkdir(parents=True, exist_ok=True)
    for r in records:
        (out / "records" / f"{file_stem_for(r.key)}{SUFFIX}").write_text(dump_record(r), encoding="utf-8")
    (out / "collection.bib").write_bytes(export(records, "bibtex"))
    (out / "collection.json").write_bytes(export(records, "csl-json"))
    return records


def generate(n: int, out: Path, seed: int = 20261123) -> list[Record]:
    rng = random.Random(seed)
    taken: set[str] = set()
    numbers: dict[str, int] = {}
    return write([record(i, rng, taken, numbers) for i in range(n)], out)


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
