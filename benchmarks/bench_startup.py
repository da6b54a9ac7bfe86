"""Start-up time of `golive --help` against a bare Python start, in the same run.

Goal: `golive --help` under 150 ms. Heavy libraries are imported inside the
commands that use them, so this stays close to Python's own start-up.

    python benchmarks/bench_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _time(cmd: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    bare = _time([sys.executable, "-c", "pass"], args.rounds)
    helped = _time([sys.executable, "-m", "golive", "--help"], args.rounds)
    b, h = statistics.median(bare), statistics.median(helped)
    print(f"{args.rounds} rounds, median (best)")
    print(f"  python -c pass (baseline): {b * 1000:7.1f} ms  ({min(bare) * 1000:.1f})")
    print(f"  golive --help            : {h * 1000:7.1f} ms  ({min(helped) * 1000:.1f})   goal < 150 ms")
    print(f"  ratio                    : {h / b:7.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
