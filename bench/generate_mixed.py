"""A second seeded generator, with other proportions than ``generate.py``: short author lists
(1 to 8, most of them 2 to 4), about 40% arXiv preprints, and the venues, volumes, issues, pages
and DOIs that published papers carry, so that no corpus's quirks decide what bibkit measures.

    python bench/generate_mixed.py 10000 /tmp/mixed10k   # -> records/, collection.bib, collection.json

Same seed, same bytes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from generate import _arxiv_id, write  # type: ignore[import-not-found]

from bibkit.model import ArxivId, Date, Doi, Person, Provenance, Record

GIVEN = ["Maria", "Wei", "James", "Anna", "Hiroshi", "Priya", "Olga", "Mohammed", "Sofía", "Lars", "Chen",
         "Emily", "Rafael", "Ngozi", "Pierre", "Ayşe", "Kofi", "Ingrid", "Dmitri", "Ana", "Tomás", "Jiwoo",
         "Marta", "Rahul", "Élodie", "Kenji", "Fatma", "Hannah", "Luca", "Siobhán", "J. R.", "M.", "Xiaoyu"]
FAMILY = ["Smith", "Wang", "Li", "García", "Müller", "Kim", "Nakamura", "Rossi", "Ivanova", "Kumar", "Okafor",
          "Johansson", "Nowak", "Dubois", "Yılmaz", "Fernandes", "Chen", "Brown", "Hernández", "Schäfer",
          "O'Brien", "Kowalczyk", "Andersen", "Tanaka", "Silva", "Park", "Papadopoulos", "Singh", "Lee", "Zhou"]
PARTICLES = ["van", "de", "van der", "von", "da", "di"]
WORDS = ["learning", "networks", "analysis", "model", "deep", "data", "efficient", "approach", "using", "via",
         "towards", "robust", "estimation", "inference", "large-scale", "sparse", "representations", "graph",
         "detection", "optimization", "stochastic", "language", "adaptive", "evaluation", "framework",
         "uncertainty", "segmentation", "transfer", "reinforcement", "generative", "kernel", "temporal",
         "multi-agent", "fairness", "privacy", "federated", "protein", "molecular", "climate", "clinical"]
SMALL = ["for", "of", "with", "in", "and", "on", "the", "a"]
NAMES = ["BERT", "ImageNet", "COVID-19", "GANs", "MCMC", "LSTM", "PDEs", "3D", "RNA", "SAT", "GPU", "Transformer"]
CONFERENCES = [
    "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition",
    "Advances in Neural Information Processing Systems",
    "Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics",
    "International Conference on Learning Representations",
    "Proceedings of the AAAI Conference on Artificial Intelligence",
    "Proceedings of the 2022 ACM SIGSAC Conference on Computer and Communications Security",
    "Proceedings of the 29th ACM SIGKDD Conference on Knowledge Discovery and Data Mining",
    "European Conference on Computer Vision (ECCV)",
    "Proceedings of the Web Conference 2021",
    "International Conference on Machine Learning",
]
JOURNALS = ["Nature", "Journal of Machine Learning Research", "IEEE Transactions on Pattern Analysis and Machine "
            "Intelligence", "Bioinformatics", "Physical Review Letters", "Journal of the American Statistical "
            "Association", "Neural Computation", "PLOS Computational Biology", "The Annals of Statistics",
            "Communications of the ACM", "Science", "Proceedings of the National Academy of Sciences"]
PUBLISHERS = ["Springer", "MIT Press", "Cambridge University Press", "O'Reilly Media", "Elsevier"]
CLASSES = ["cs.LG", "cs.CV", "cs.CL", "stat.ML", "cs.AI", "q-bio.QM", "physics.comp-ph", "math.ST", "cs.CR"]
AUTHORS = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8]


def person(rng: random.Random) -> Person:
    particle = rng.choice(PARTICLES) if rng.random() < 0.05 else None
    return Person(family=rng.choice(FAMILY), given=rng.choice(GIVEN), non_dropping_particle=particle)


def title(rng: random.Random) -> str:
    words = [rng.choice(WORDS if i % 3 else WORDS + SMALL) for i in range(rng.randint(3, 10))]
    if rng.random() < 0.3:
        words.insert(rng.randint(0, len(words)), rng.choice(NAMES))
    text = " ".join(words)
    if rng.random() < 0.25:  # title case, as many venues print it
        text = " ".join(w if w in SMALL or not w[0].islower() else w[0].upper() + w[1:] for w in text.split())
    if rng.random() < 0.2:
        text = rng.choice(NAMES) + ": " + text
    return text[0].upper() + text[1:]


def record(i: int, rng: random.Random, numbers: dict[str, int] | None = None) -> Record:
    year = rng.randint(1995, 2025)
    month = rng.randint(1, 12)
    authors = tuple(person(rng) for _ in range(rng.choice(AUTHORS)))
    roll = rng.random()
    text: dict[str, str] = {}
    arxiv = doi = url = None
    provenance = Provenance()
    if roll < 0.4 and year >= 2008:
        kind = "article"
        arxiv = ArxivId(_arxiv_id(year, month, i, numbers))
        text["publisher"] = "arXiv"
    elif roll < 0.7:
        kind = "paper-conference"
        text["container-title"] = rng.choice(CONFERENCES)
        if rng.random() < 0.6:
            first = rng.randint(1, 12000)
            text["page"] = f"{first}-{first + rng.randint(4, 14)}"
    elif roll < 0.93:
        kind = "article-journal"
        text |= {"container-title": rng.choice(JOURNALS), "volume": str(rng.randint(1, 120))}
        if rng.random() < 0.7:
            text["issue"] = str(rng.randint(1, 12))
        first = rng.randint(1, 3000)
        text["page"] = f"{first}-{first + rng.randint(5, 30)}"
    elif roll < 0.97:
        kind = "book"
        text["publisher"] = rng.choice(PUBLISHERS)
    else:
        kind = rng.choice(["thesis", "report"])
        text["publisher"] = f"University of {rng.choice(['Toronto', 'Cambridge', 'Tokyo', 'São Paulo', 'Zürich'])}"
        if kind == "thesis":
            text["genre"] = "PhD thesis"
    if kind != "article":
        if rng.random() < 0.6:
            doi = Doi(f"10.{rng.randint(1000, 9999)}/{rng.choice(['j', 'a', 's'])}{year}.{i}")
        elif rng.random() < 0.5:
            url = f"https://example.org/papers/{year}/{i}"
        if rng.random() < 0.2 and year >= 2008:  # published, with its preprint
            arxiv = ArxivId(_arxiv_id(year, month, i, numbers))
    if arxiv is None:
        provenance = Provenance(no_arxiv="synthetic benchmark record")
    return Record(
        key="", type=kind, title=title(rng), author=authors,
        issued=Date(year, month) if rng.random() < 0.7 else Date(year), arxiv=arxiv,
        arxiv_class=rng.choice(CLASSES) if arxiv else None, doi=doi, url=url, text=text,
        tags=tuple(rng.sample(["ml", "vision", "nlp", "bio", "theory", "security"], rng.randint(0, 2))),
        provenance=provenance,
    )


def generate(n: int, out: Path, seed: int = 19950101) -> list[Record]:
    rng = random.Random(seed)
    numbers: dict[str, int] = {}
    return write([record(i, rng, numbers) for i in range(n)], out)


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
