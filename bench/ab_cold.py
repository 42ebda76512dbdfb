"""Interleaved A/B of cold runs between checkouts of asyncguard (one process: ASYNCGUARD_JOBS=1).

Judges one change on a noisy machine: each round runs every checkout on every project, in a
rotating order, and the medians are compared. Each checkout is imported through PYTHONPATH with
this venv's interpreter (make them with `git worktree add`); the findings must be the same bytes.

    .venv/bin/python bench/ab_cold.py /tmp/ag-before /tmp/ag-after --runs 15
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH_ROOT = Path(os.environ.get("ASYNCGUARD_BENCH_ROOT", Path(tempfile.gettempdir()) / "asyncguard-bench-visible"))
CORPUS = {"httpx": "httpx", "opsdroid": "opsdroid", "tortoise": "tortoise"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--projects", default="httpx,opsdroid,tortoise,synth-1000")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    python = str(REPO / ".venv" / "bin" / "python")
    entry = str(REPO / ".venv" / "bin" / "asyncguard")
    for checkout in args.checkouts:  # byte-compiled, as pip installs it
        subprocess.run([python, "-m", "compileall", "-q", *(str(checkout / p) for p in ("rules", "checks", "contracts"))],
                       check=False, stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="ab-cold-"))
    projects: list[tuple[str, Path, str]] = []
    for name in args.projects.split(","):
        root = work / name
        if name.startswith("synth-"):
            subprocess.run([sys.executable, str(HERE / "gen_project.py"), str(root), "-n", name.split("-", 1)[1]],
                           check=True, stdout=subprocess.DEVNULL)
            projects.append((name, root, "synth"))
        elif (BENCH_ROOT / "corpus" / name).exists():
            shutil.copytree(BENCH_ROOT / "corpus" / name, root)
            projects.append((name, root, CORPUS[name]))
        else:
            print(f"skipping {name}: not in {BENCH_ROOT / 'corpus'}", file=sys.stderr)
    times: dict[tuple[str, Path], list[float]] = {}
    outputs: dict[str, set[bytes]] = {}
    checkouts: list[Path] = args.checkouts
    try:
        for i in range(args.runs):
            k = i % len(checkouts)
            order = checkouts[k:] + checkouts[:k]
            for name, root, target in projects:
                for checkout in order if i % 2 == 0 else order[::-1]:
                    shutil.rmtree(root / ".asyncguard_cache", ignore_errors=True)
                    env = dict(os.environ, PYTHONPATH=str(checkout), ASYNCGUARD_JOBS="1")
                    start = time.perf_counter()
                    done = subprocess.run([python, entry, "check", target, "--format", "json"], cwd=root, env=env,
                                          capture_output=True, check=False)
                    times.setdefault((name, checkout), []).append(time.perf_counter() - start)
                    outputs.setdefault(name, set()).add(done.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, _, _ in projects:
        base = statistics.median(times[(name, checkouts[0])])
        cells = []
        for checkout in checkouts:
            median = statistics.median(times[(name, checkout)])
            cells.append(f"{checkout.name} {median:.3f} s ({base / median:.3f}x)")
        same = "same findings" if len(outputs[name]) == 1 else "FINDINGS DIFFER"
        print(f"{name:11s} " + "  ".join(cells) + f"  {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
