"""Precision beyond the mutation corpus: asyncguard over installed async libraries, as projects.

Every finding here is a claim about real, released code, so each one is a place to look for a
false alarm. The libraries come from the mutation benchmark's project venvs (run its
`corpus.py all` first); each package directory is analyzed as its own project, with its venv as
`--python`, so its imports resolve as they would for its users.

    .venv/bin/python bench/precision_libraries.py                 # table + findings as JSON lines
    .venv/bin/python bench/precision_libraries.py --out bench/out/precision.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from asyncguard.rules.engine import RuleConfig, analyze, discover_python_files  # noqa: E402

BENCH_ROOT = Path(os.environ.get("ASYNCGUARD_BENCH_ROOT", Path(tempfile.gettempdir()) / "asyncguard-bench-visible"))
# (venv, package): async libraries of the corpus projects' dependency trees
LIBRARIES = [
    ("opsdroid", p) for p in ("aiohttp", "nio", "slack_sdk", "motor", "aiosqlite", "mattermostdriver", "botbuilder",
                              "webexteamssdk", "websockets", "aiofiles", "python_socks", "redis", "tornado",
                              "jupyter_client")
] + [("httpx", p) for p in ("httpcore", "anyio", "trio")] + [
    ("tortoise", p) for p in ("asyncpg", "psycopg", "psycopg_pool", "aiomysql", "asyncmy", "prompt_toolkit")
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every finding as a JSON line here")
    args = parser.parse_args()
    rows: list[tuple[str, int, int, collections.Counter[str], float]] = []
    out = args.out.open("w") if args.out else None
    for venv, package in LIBRARIES:
        site = BENCH_ROOT / "venvs" / venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / \
            "site-packages"
        target = site / package
        if not target.is_dir():
            print(f"skipping {package}: {target} missing", file=sys.stderr)
            continue
        files = discover_python_files(target)
        start = time.perf_counter()
        result = analyze(site, files, RuleConfig(python=str(BENCH_ROOT / "venvs" / venv / "bin" / "python")),
                         cache_dir=None)
        took = time.perf_counter() - start
        codes = collections.Counter(f.code for f in result.findings if f.code != "AG000")
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        rows.append((package, len(files), lines, codes, took))
        for f in result.findings:
            if f.code != "AG000" and out is not None:
                out.write(json.dumps({"library": package, "path": f.path, "line": f.line, "code": f.code,
                                      "message": f.message}) + "\n")
    if out is not None:
        out.close()
    print("| library | files | lines | findings | by code | seconds |")
    print("|---|---|---|---|---|---|")
    for package, n, lines, codes, took in rows:
        by_code = ", ".join(f"{c} {k}" for c, k in sorted(codes.items())) or "-"
        print(f"| {package} | {n} | {lines:,} | {sum(codes.values())} | {by_code} | {took:.1f} |")
    total = sum(sum(c.values()) for _, _, _, c, _ in rows)
    print(f"| **all** | {sum(r[1] for r in rows)} | {sum(r[2] for r in rows):,} | {total} | | |")


if __name__ == "__main__":
    main()
