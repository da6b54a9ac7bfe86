"""Import speed: golive's Markdown import of seed 004 against the bare parser.

Prints the best-of-N time of markdown-it-py parsing the same text with the same
configuration (the baseline, measured in this run) and of golive's whole import
(parse + structure + meaning + ids), and their ratio. Goal: ratio <= 2.0.

    python benchmarks/bench_import.py [--rounds N] [FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "seeds" / "004_0770cc43126af0bc.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from golive.runbook.loader import parse_runbook_text
    from golive.runbook.markdown_import import markdown_parser

    text = args.file.read_text(encoding="utf-8")
    md = markdown_parser()
    bare: list[float] = []
    full: list[float] = []
    parse_runbook_text(text, args.file.name)  # warm caches and imports
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        start = time.perf_counter()
        md.parse(text)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        parse_runbook_text(text, args.file.name)
        full.append(time.perf_counter() - start)
    b, f = min(bare), min(full)
    print(f"input: {args.file.name} ({len(text.encode()) / 1024:.1f} KB), {args.rounds} rounds, best of")
    mb, mf = statistics.median(bare) * 1000, statistics.median(full) * 1000
    print(f"  bare markdown-it parse (baseline): {b * 1000:8.2f} ms   (median {mb:.2f})")
    print(f"  golive import                    : {f * 1000:8.2f} ms   (median {mf:.2f})")
    print(f"  ratio golive / baseline          : {f / b:8.2f}x   (goal <= 2.00x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
