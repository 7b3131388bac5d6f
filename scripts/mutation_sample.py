"""Mutation score from a random sample of mutants, for when the whole run (5,600 mutants, hours
on two cores) does not fit: `make mutation-sample N=400`.

mutmut generates every mutant of the files `[tool.mutmut]` names and maps each function to the
tests that reach it; this script draws N mutant names with a fixed seed, has mutmut run those
only, and prints the score ((killed + timeout) / (killed + timeout + survived + no tests)) with its 95% interval and
the surviving mutants by module. Run from the repository root, after `mutmut run` has generated
the mutants (the Makefile target does both).
"""

from __future__ import annotations

import argparse
import math
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

LINE = re.compile(r"^\s*(\S+): (.+)$")


def statuses(mutmut: str) -> dict[str, str]:
    out = subprocess.run([mutmut, "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    return {m.group(1): m.group(2).strip() for m in map(LINE.match, out.splitlines()) if m}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="mutants to draw")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--mutmut", default=str(Path(sys.executable).with_name("mutmut")))
    parser.add_argument("--max-children", default="2")
    parser.add_argument("--report-only", action="store_true", help="only count the sample's results so far")
    args = parser.parse_args()

    names = sorted(statuses(args.mutmut))
    sample = sorted(random.Random(args.seed).sample(names, min(args.n, len(names))))
    if not args.report_only:
        subprocess.run([args.mutmut, "run", "--max-children", args.max_children, *sample], check=False)
    found = statuses(args.mutmut)
    counts = Counter(found[name] for name in sample)
    killed = counts["killed"] + counts["timeout"]  # a mutant that hangs the tests is caught too
    scored = killed + counts["survived"] + counts["no tests"]
    print(f"{len(sample)} of {len(names)} mutants drawn (seed {args.seed}): " +
          ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    if scored:
        p = killed / scored
        half = 1.96 * math.sqrt(p * (1 - p) / scored)
        print(f"score {p:.1%} (95% interval {max(0.0, p - half):.1%} to {min(1.0, p + half):.1%}) "
              f"= caught {killed} / drawn and run {scored}")
    by_module = Counter(name.rsplit(".", 1)[0] for name in sample if found[name] in ("survived", "no tests"))
    for module, n in by_module.most_common():
        print(f"  {n:4d} surviving in {module}")
    for name in sample:
        if found[name] in ("survived", "no tests"):
            print(f"    {name}: {found[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
