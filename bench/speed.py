"""Speed of asyncguard beside mypy, pyright and ruff, measured in one run on the same projects.

Machines here are noisy, so the figures that matter are the ratios within one run. For each
project: asyncguard cold (no cache), warm (unchanged tree, cache kept), one changed file (cache
kept, one module edited), with peak RSS; mypy cold (empty cache) and warm; pyright; ruff.

    .venv/bin/python bench/speed.py                       # the mutation corpus + a 1,000-file project
    .venv/bin/python bench/speed.py --projects synth-1000 --repeats 3

Peers come from the mutation benchmark's tool venv (pinned there); run its `corpus.py all` first,
or pass --tools-bin DIR holding mypy/pyright/ruff.
"""

from __future__ import annotations

import argparse
import json
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
CORPUS = {"httpx": ["httpx"], "opsdroid": ["opsdroid"], "tortoise": ["tortoise"]}


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss


def median_run(cmd: list[str], cwd: Path, repeats: int, before: list[str] | None = None) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(repeats):
        if before:
            subprocess.run(before, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t, rss = run(cmd, cwd)
        times.append(t)
        peaks.append(rss)
    return statistics.median(times), max(peaks)


def measure(name: str, root: Path, targets: list[str], tools: Path, repeats: int) -> dict[str, object]:
    ag = str(REPO / ".venv" / "bin" / "asyncguard")
    cache = root / ".asyncguard_cache"
    out: dict[str, object] = {"project": name}
    files = [p for t in targets for p in (root / t).rglob("*.py")]
    out["files"] = len(files)
    out["lines"] = sum(p.read_bytes().count(b"\n") for p in files)
    rm_cache = ["rm", "-rf", str(cache)]
    out["asyncguard_cold"] = median_run([ag, "check", *targets, "--format", "json"], root, repeats, rm_cache)
    run([ag, "check", *targets, "--format", "json"], root)  # fill the cache
    out["asyncguard_warm"] = median_run([ag, "check", *targets, "--format", "json"], root, repeats)
    victim = sorted(files)[len(files) // 2]
    original = victim.read_bytes()
    try:
        times: list[float] = []
        peaks: list[int] = []
        for i in range(repeats):
            victim.write_bytes(original + f"\n\ndef _bench_edit_{i}() -> int:\n    return {i}\n".encode())
            t, rss = run([ag, "check", *targets, "--format", "json"], root)
            times.append(t)
            peaks.append(rss)
        out["asyncguard_one_change"] = (statistics.median(times), max(peaks))
    finally:
        victim.write_bytes(original)
    mypy_cache = Path(tempfile.mkdtemp(prefix="speed-mypy-"))
    mypy = [str(tools / "mypy"), "--cache-dir", str(mypy_cache), "--ignore-missing-imports",
            "--python-version", "3.11", *targets]
    out["mypy_cold"] = median_run(mypy, root, repeats, ["rm", "-rf", str(mypy_cache)])
    out["mypy_warm"] = median_run(mypy, root, repeats)
    shutil.rmtree(mypy_cache, ignore_errors=True)
    if (tools / "pyright").exists():
        out["pyright"] = median_run([str(tools / "pyright"), *targets], root, max(1, repeats - 1))
    out["ruff"] = median_run([str(tools / "ruff"), "check", "--isolated", "--no-cache", "--select", "ALL",
                              "--exit-zero", "-q", *targets], root, repeats)
    return out


def table(results: list[dict[str, object]]) -> str:
    def t(r: dict[str, object], key: str) -> float:
        value = r.get(key)
        return float(value[0]) if isinstance(value, tuple | list) else float("nan")

    def mem(r: dict[str, object], key: str) -> int:
        value = r.get(key)
        return int(value[1]) // 1024 if isinstance(value, tuple | list) else 0

    lines = [
        "| project | files / lines | asyncguard cold | warm | one change | peak RSS (MB) | mypy cold | mypy warm "
        "| pyright | ruff | mypy cold / ag cold | pyright / ag cold | ag warm vs mypy warm |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ag_cold = t(r, "asyncguard_cold")
        lines.append(
            f"| {r['project']} | {r['files']} / {r['lines']:,} | {ag_cold:.2f} s | {t(r, 'asyncguard_warm'):.2f} s "
            f"| {t(r, 'asyncguard_one_change'):.2f} s | {max(mem(r, 'asyncguard_cold'), mem(r, 'asyncguard_one_change'))} "
            f"| {t(r, 'mypy_cold'):.2f} s | {t(r, 'mypy_warm'):.2f} s | {t(r, 'pyright'):.2f} s | {t(r, 'ruff'):.2f} s "
            f"| {t(r, 'mypy_cold') / ag_cold:.1f}x | {t(r, 'pyright') / ag_cold:.1f}x "
            f"| {t(r, 'asyncguard_warm') / t(r, 'mypy_warm'):.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", default="httpx,opsdroid,tortoise,synth-1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tools-bin", type=Path, default=BENCH_ROOT / "venvs" / "tools" / "bin")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "speed.json")
    args = parser.parse_args()
    if not (args.tools_bin / "mypy").exists():
        print(f"no peer tools in {args.tools_bin}: run ../shared/bench/mutation/corpus.py all first", file=sys.stderr)
        return 2
    # Measure asyncguard as pip installs it: byte-compiled. An editable checkout run with
    # PYTHONDONTWRITEBYTECODE=1 (or one whose sources just changed) compiles its own modules on
    # every start, ~80 ms that no user pays and that the peers, installed by pip, do not pay either.
    subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "compileall", "-q",
                    *(str(REPO / pkg) for pkg in ("rules", "checks", "contracts"))],
                   check=False, stdout=subprocess.DEVNULL)
    results = []
    for name in args.projects.split(","):
        if name.startswith("synth-"):
            n = int(name.split("-", 1)[1])
            root = Path(tempfile.mkdtemp(prefix=f"speed-{name}-"))
            subprocess.run([sys.executable, str(HERE / "gen_project.py"), str(root), "-n", str(n)], check=True,
                           stdout=subprocess.DEVNULL)
            targets = ["synth"]
        else:
            src = BENCH_ROOT / "corpus" / name
            if not src.exists():
                print(f"skipping {name}: {src} missing", file=sys.stderr)
                continue
            root = Path(tempfile.mkdtemp(prefix=f"speed-{name}-"))
            shutil.copytree(src, root, dirs_exist_ok=True)
            targets = CORPUS[name]
        print(f"measuring {name} ...", file=sys.stderr)
        results.append(measure(name, root, targets, args.tools_bin, args.repeats))
        shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
